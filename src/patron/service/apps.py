from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "patron.service"
    label = "service"
    verbose_name = _("Service")

    def ready(self) -> None:
        from patron.core.relations import register_customer_relation
        from patron.service import models as m

        register_customer_relation(m.Ticket, "customer")
        register_customer_relation(m.WinBackWindow, "customer")
        from patron.interactions.selectors import register_promises
        from patron.service import complaints  # noqa: F401 (valuable complainers)
        from patron.service.promises import open_tickets

        register_promises(open_tickets)  # open tickets in the customer's brief
        from patron.service import mail_poll  # noqa: F401 (the IMAP poller job)
