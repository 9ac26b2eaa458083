"""Proactive work done by the scheduler: one small module per sweep.

Every sweep is ``async def sweep(conn, now, config, ...) -> SweepResult``: ``now`` is passed
in (the scheduler gives the real time, tests any time) and correctness comes from the
database, never from the scheduler: rows are claimed with ``FOR UPDATE SKIP LOCKED`` or
created once with ``INSERT ... ON CONFLICT DO NOTHING``, so several scheduler instances can
run the same sweep at the same moment without doing the work twice.

Proactive messages are drafts for approval (``reply_suggestions`` kind 'followup'); they
never go to opted-out customers (``opt_outs``) or sandbox (``is_test``) customers.
"""
