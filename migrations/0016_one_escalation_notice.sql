-- Each owner hears of an escalated draft once, however many processes push its card at the
-- same moment (the check-then-insert before this key could notify twice).
CREATE UNIQUE INDEX notifications_one_escalation_key ON notifications (user_id, entity_id)
    WHERE kind = 'escalation';
