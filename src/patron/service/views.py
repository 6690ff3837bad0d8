"""Ticket pages (being built)."""

from django.http import HttpResponse


def _todo(request, **kwargs):  # replaced by the real views
    return HttpResponse(status=501)


queue = ticket_new = ticket_detail = ticket_reply = ticket_note = ticket_status = _todo
ticket_resolve = ticket_close = ticket_reopen = ticket_edit = message_resend = _todo
customer_card = _todo
