from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentsConfig(AppConfig):
    name = "patron.segments"
    label = "segments"
    verbose_name = _("Segments")

    def ready(self) -> None:
        from patron.core.relations import register_customer_relation
        from patron.segments.models import SegmentMembership

        register_customer_relation(SegmentMembership, "customer", unique_with=("segment",))
