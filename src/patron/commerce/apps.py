from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommerceConfig(AppConfig):
    name = "patron.commerce"
    label = "commerce"
    verbose_name = _("Commerce")

    def ready(self) -> None:
        from patron.commerce import timeline
        from patron.commerce.models import Order
        from patron.core.relations import register_customer_relation

        register_customer_relation(Order, "customer")
        timeline.register()
