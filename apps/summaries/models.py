"""Stored figures: the summary tables and dashboard figures of a scope, precomputed by a Celery task."""
from django.db import models


class FigureSnapshot(models.Model):
    """The figures of one kind ("summaries", "dashboard") for one product and site (or all) as of a day,
    computed from the rows by the refresh task; pages read this one row instead of counting a million.

    `data_stamp` is the data stamp (apps.summaries.cache.data_stamp) the figures were computed at: a page
    that finds another stamp shows these figures as of `computed_at` and asks for a refresh."""

    scope_key = models.CharField(max_length=100, unique=True, help_text="kind:product:site (or all).")
    kind = models.CharField(max_length=20)
    product = models.ForeignKey("products.Product", on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey("accounts.Site", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    as_of = models.DateField()
    data_stamp = models.CharField(max_length=300)
    computed_at = models.DateTimeField()
    seconds = models.FloatField(help_text="How long the computation from the rows took.")
    payload = models.JSONField()

    def __str__(self):
        return f"{self.scope_key} as of {self.as_of} ({self.computed_at:%Y-%m-%d %H:%M})"
