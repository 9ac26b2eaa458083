"""Staff commands: what owners and agents can ask the bot, independent of where they ask.

Each feature module (``inbox``, ``quotes``, ``followups``, ``content``...) registers its
commands and button callbacks in :mod:`bot.staff.commands`; the Telegram staff bot (and any
other front end) only parses, checks rights through the registry and renders the ``Reply``.
"""
