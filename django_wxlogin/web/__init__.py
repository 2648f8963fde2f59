"""Logging in from a browser: the session cookie and one-time exchange codes
(:mod:`.delivery`), reading the cookie (:mod:`.authentication`, :mod:`.middleware`), and WeChat
web login for Official Account pages and website apps (:mod:`.views`)."""
