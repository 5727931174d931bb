"""Links between the party records of two apps of one organisation (apps.core.parties)."""

from django.db import models

__all__ = ["PartyLink"]


class PartyLink(models.Model):
    """Record `ref` of app `app` and record `other_ref` of app `other_app` are the same party (a
    CRM account and an ISP customer; later a shop's customer). Kept by reference, never by
    foreign key: the other app may be switched off, and its tables absent from the plan. The
    link is made from `app`'s side (a record links to one record of each other app); both
    sides see it."""

    app = models.CharField("app", max_length=20)
    ref = models.CharField("record", max_length=64)
    other_app = models.CharField("linked app", max_length=20)
    other_ref = models.CharField("linked record", max_length=64)
    created_at = models.DateTimeField("linked at", auto_now_add=True)

    class Meta:
        ordering = ["app", "ref", "other_app"]
        verbose_name = "party link"
        constraints = [
            models.UniqueConstraint(
                fields=["app", "ref", "other_app"], name="core_party_link_once_per_app",
                violation_error_message="This record is linked to that app already.",
            ),
            models.CheckConstraint(
                condition=~models.Q(app=models.F("other_app")), name="core_party_link_two_apps"
            ),
        ]  # fmt: skip
        indexes = [models.Index(fields=["other_app", "other_ref"], name="core_party_link_other")]

    def __str__(self) -> str:
        return f"{self.app}:{self.ref} = {self.other_app}:{self.other_ref}"
