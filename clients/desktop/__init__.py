"""The staff desktop client (issue 6): PySide6 widgets over the Python SDK,
with asyncio on the Qt loop through qasync.

Modules, one idea each:

- ``app``          the ``chatserver-desk`` command: arguments, Qt + asyncio loop, login
- ``connection``   the SDK client as Qt signals: status, queues, cases, rooms
- ``main_window``  the shift: queues beside case tabs, menus, shortcuts, alerts
- ``queue_view``   the live queues of the pools being worked
- ``case_view``    one case: triage, earlier cases, chat, staff thread, actions
- ``chat_view``    one room's messages as the SDK has seen them, plus what is unsent
- ``compose``      the message editor: /key phrases, typing, Ctrl+Enter
- ``dialogs``      login, handoff, consult, re-triage, close, phrases, photo
- ``phrases``      canned phrase lookup and placeholder filling (pure)
- ``urgency``      U0-U6 colours and labels (pure)
- ``timefmt``      waiting times and deadlines as short text (pure)
- ``i18n``         every user-visible text in Swedish and English
"""
