"""Everything that talks to WeChat's server API, and the fake WeChat that stands in for it.

Only this package builds a WeChat URL or reads a WeChat answer: ``client`` makes the calls
(one pooled HTTP session per process, no retries), ``errors`` turns WeChat's errcodes into the
package's typed errors, ``redaction`` keeps the appsecret and other secrets out of the logs,
``access_token`` shares one access token per mini program, ``code_lock`` exchanges each login
code once, ``phone``, ``session_keys``, ``decryption`` and ``signatures`` are the APIs built on
a user's session_key, ``api_security`` seals the calls of apps that turn on WeChat's
server-API security and checks their answers, and ``fake`` is a WeChat server on loopback for
tests and development.
"""
