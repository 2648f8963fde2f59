"""The example project as the mini-program client's tests serve it: uploads go to a folder of
their own instead of the repository's ``media/``."""

import os

from example_project.settings import *  # noqa: F403

MEDIA_ROOT = os.environ["WXLOGIN_CLIENT_TEST_MEDIA_ROOT"]
