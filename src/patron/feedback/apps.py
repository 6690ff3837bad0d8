from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "patron.feedback"
    label = "feedback"
    verbose_name = _("Feedback")

    def ready(self) -> None:
        import patron.feedback.loop  # loops close on ticket replies
        import patron.feedback.timeline  # noqa: F401  (survey responses on the timeline)
        from patron.core.relations import register_customer_relation
        from patron.feedback import models as m
        from patron.feedback import triggers  # noqa: F401  (survey triggers, survey cap counter)

        register_customer_relation(m.Invitation, "customer")
        register_customer_relation(m.Response, "customer")
        register_customer_relation(m.IdeaRequester, "customer", unique_with=("idea",))
        register_customer_relation(m.ProgrammeMembership, "customer", unique_with=("programme",))
