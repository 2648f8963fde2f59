"""WeChat's server-API security (服务端API安全鉴权, "API签名"), for the apps that turn it on.

``envelope`` is the cryptography (AES-256-GCM envelopes, RSA-PSS signatures), ``keys`` reads an
app's ``API_SECURITY`` keys from settings, files or the environment, ``transport`` seals each
protected call of :class:`~django_wxlogin.wechat.client.WeChatClient` and opens its answer, and
``checks`` reports missing, unreadable, mismatched or expiring keys at start-up. No view or
endpoint knows about any of it: every call goes through the client.
"""
