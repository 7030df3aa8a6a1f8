from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.db import models
from simple_history import register
from simple_history.models import HistoricalRecords


class Site(models.Model):
    """A clinical site that enters data; reporters see only their own site's records."""

    code = models.SlugField(max_length=50, unique=True, help_text="Short code, e.g. site-01.")
    name = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2 code.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.code


class User(AbstractUser):
    """A person using the tracker. A user with a site is scoped to that site's data."""

    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.PROTECT, related_name="users",
        help_text="Users bound to a site see only that site's patients; leave empty for central staff.",
    )
    language = models.CharField(
        max_length=10, blank=True, choices=settings.LANGUAGES,
        help_text="The language of the e-mails this user receives; the language switcher sets it. Empty: the "
                  "installation's default language.")
    # Who was given which role (group) and site, and by whom; neither password hashes nor every login.
    history = HistoricalRecords(excluded_fields=["password", "last_login"], m2m_fields=["groups"])


# Roles are groups: their permissions are under history too.
register(Group, app="apps.accounts", m2m_fields=["permissions"])
