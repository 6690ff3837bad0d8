from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "patron.analytics"
    label = "analytics"
    verbose_name = _("Customer value")

    def ready(self) -> None:
        from patron.analytics import models as m
        from patron.core.relations import register_customer_relation, register_derived_table

        register_customer_relation(m.Signal, "customer", unique_with=("kind",))
        register_derived_table(m.CustomerMetrics)
