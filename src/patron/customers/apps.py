from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "patron.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from patron.core.relations import register_customer_relation
        from patron.customers import models as m
        from patron.customers import search  # noqa: F401 - registers the __prefix lookup

        # What a merge moves from the merged customer to the survivor.
        register_customer_relation(m.ContactPoint, "customer", unique_with=("kind", "search_value"))
        register_customer_relation(m.ExternalIdentifier, "customer")
        register_customer_relation(m.Membership, "person", unique_with=("organization",))
        register_customer_relation(m.Membership, "organization", unique_with=("person",))
        register_customer_relation(
            m.Consent,
            "customer",
            unique_with=("channel", "purpose"),
            keep="newest",
            newest_by="recorded_at",
        )
        register_customer_relation(m.Customer.tags.through, "customer", unique_with=("tag",))
        # One row per customer: the survivor's preferences stay when both have some.
        register_customer_relation(m.Preferences, "customer")
