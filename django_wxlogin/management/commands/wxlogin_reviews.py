"""``manage.py wxlogin_reviews``: applies ``AVATAR_REVIEW_EXPIRED`` to the avatars whose review
window ended without a verdict (run it from cron every few minutes; an owner's own profile
read does it for that owner too), and counts what is pending and refused."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db.models import Count

from ...moderation import reviews
from ...moderation.models import ContentReview


class Command(BaseCommand):
    help = "Drop or publish the avatars whose review window ended; count the reviews."

    def handle(self, *args: Any, **options: Any) -> None:
        expired = 0
        while True:
            batch = reviews.expire_overdue()
            expired += batch
            if not batch:
                break
        self.stdout.write(f"window ended: {expired}")
        counts = ContentReview.objects.values("kind", "status").annotate(n=Count("pk"))
        for row in counts.order_by("kind", "status"):
            self.stdout.write(f"{row['kind']} {row['status']}: {row['n']}")
