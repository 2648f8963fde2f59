"""The client tests' content checker: a nickname with "review" in it is held for a verdict (so
the client sees ``pending``); every other nickname and every image passes at once."""

from django_wxlogin.moderation.checkers import ContentChecker, Outcome


class HoldReviews(ContentChecker):
    def check_text(self, wxuser, text):
        return Outcome("review" if "review" in text else "pass")

    def check_image(self, wxuser, url):
        return Outcome("pass")
