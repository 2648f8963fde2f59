"""Content checks: nicknames and avatars are not shown to anyone else until a checker (WeChat's
content security API, or the project's own) has passed them. ``CONTENT_CHECKS`` turns it on."""
