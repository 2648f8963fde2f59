"""Scan to log in: a website shows a mini-program code, the person confirms in the mini
program, and the browser that asked is logged in (``tickets``, ``events``, ``views``)."""
