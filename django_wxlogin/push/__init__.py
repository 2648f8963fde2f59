"""WeChat's message push (消息推送): one verified receiver per app at ``push/<app>/``, which
decodes each message and hands it to the handlers registered for its event
(:func:`.dispatch.handles`) and to the ``push_received`` signal."""
