"""Mobile apps (开放平台移动应用): the WeChat SDK's code, traded at ``POST login/<app>/`` for a
token exactly like a mini program's (:mod:`.login`)."""
