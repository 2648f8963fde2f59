"""The example project as the mini-program client's tests serve it: uploads go to a folder of
their own instead of the repository's ``media/``."""

import os

from example_project.settings import *  # noqa: F403

MEDIA_ROOT = os.environ["WXLOGIN_CLIENT_TEST_MEDIA_ROOT"]

# Content checks by the tests' own checker (test/server/wxlogin_client_checker.py): nicknames
# with "review" in them wait for a verdict; everything else passes at once.
WXLOGIN["CONTENT_CHECKS"] = "wxlogin_client_checker.HoldReviews"  # noqa: F405
