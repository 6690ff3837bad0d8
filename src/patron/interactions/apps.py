from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InteractionsConfig(AppConfig):
    name = "patron.interactions"
    label = "interactions"
    verbose_name = _("Interactions")

    def ready(self) -> None:
        from patron.core.relations import register_customer_relation
        from patron.interactions import models as m
        from patron.interactions import timeline_kinds

        register_customer_relation(m.Interaction, "customer")
        register_customer_relation(m.Interaction, "organization")
        register_customer_relation(m.Note, "customer")
        register_customer_relation(m.Task, "customer")
        register_customer_relation(m.Answer, "customer")
        register_customer_relation(m.Notification, "customer")
        timeline_kinds.register()
