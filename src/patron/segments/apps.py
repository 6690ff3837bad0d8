from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentsConfig(AppConfig):
    name = "patron.segments"
    label = "segments"
    verbose_name = _("Segments")

    def ready(self) -> None:
        from patron.core.relations import register_customer_relation
        from patron.segments.models import SegmentMembership

        # Only current stays are unique per segment (left_at is null): a merge keeps the
        # merged customer's past stays and list memberships, and drops a current stay
        # only where the survivor has one too.
        register_customer_relation(
            SegmentMembership, "customer", unique_with=("segment", "left_at")
        )
