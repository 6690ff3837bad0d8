"""The text of an inbound email: HTML turned into plain text, and the quoted history and
signature of a reply cut off, so that a ticket's thread shows what the customer wrote
this time. Pure functions of strings; no database."""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Tags whose content is never text: scripts, styles, the head's title and metadata.
_HIDDEN = {"script", "style", "head", "title", "template", "noscript", "svg", "object"}
# Blocks that stand apart (a blank line around them) and those that only start a line.
_PARAGRAPHS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "pre", "hr"}
_LINES = {
    "address",
    "article",
    "aside",
    "div",
    "dt",
    "dd",
    "fieldset",
    "figure",
    "footer",
    "form",
    "header",
    "li",
    "main",
    "nav",
    "section",
    "tr",
}


class _TextOf(HTMLParser):
    """Collects the visible text; blocks and <br> become line breaks, list items a dash,
    table cells a tab, a <blockquote> lines starting with "> " (so that the quote
    stripper treats quoted HTML like quoted plain text), links their address after the
    words when it differs from them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.hidden = 0
        self.quote = 0
        self.pre = 0
        self.href: list[str | None] = []
        self.link_text: list[str] = []

    def _break(self) -> None:
        """Go on at the start of a line."""
        if self.lines[-1].strip(" >"):
            self.lines.append("")

    def _paragraph(self) -> None:
        """Go on after a blank line (between paragraphs, lists, tables)."""
        self._break()
        if len(self.lines) > 1 and self.lines[-2].strip(" >"):
            self.lines.append("")

    def _write(self, text: str) -> None:
        if not self.lines[-1] and self.quote:
            self.lines[-1] = "> " * self.quote
        self.lines[-1] += text
        if self.href:
            self.link_text[-1] += text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "br":
            self.lines.append("")
        elif tag == "blockquote":
            self._paragraph()
            self.quote += 1
        elif tag == "li":
            self._break()
            self._write("- ")
        elif tag in {"td", "th"}:
            if self.lines[-1].strip():
                self._write("\t")
        elif tag == "a":
            self.href.append(dict(attrs).get("href"))
            self.link_text.append("")
        elif tag == "img":
            alt = (dict(attrs).get("alt") or "").strip()
            if alt and not self.hidden:
                self._write(f"[{alt}]")
        elif tag in _PARAGRAPHS or tag in _LINES:
            if tag == "pre":
                self.pre += 1
            (self._paragraph if tag in _PARAGRAPHS else self._break)()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            return
        self.handle_starttag(tag, attrs)
        if tag in _HIDDEN:
            self.hidden -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag == "blockquote":
            self.quote = max(0, self.quote - 1)
            self._paragraph()
        elif tag == "a" and self.href:
            href, words = self.href.pop(), self.link_text.pop().strip()
            if (
                href
                and href.startswith(("http://", "https://"))
                and words
                and href.rstrip("/") not in words
            ):
                self._write(f" ({href})")
        elif tag in _PARAGRAPHS or tag in _LINES:
            if tag == "pre":
                self.pre = max(0, self.pre - 1)
            (self._paragraph if tag in _PARAGRAPHS else self._break)()

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        if self.pre:
            first, *rest = data.split("\n")
            self._write(first)
            for line in rest:
                self.lines.append("")
                self._write(line)
            return
        text = re.sub(r"\s+", " ", data)
        if not self.lines[-1].strip(" >"):
            text = text.lstrip()
        self._write(text)


def html_to_text(html: str) -> str:
    """The readable text of an HTML email body. Never markup: the result is shown as text
    (escaped), so nothing of the HTML can run in the ticket's page."""
    parser = _TextOf()
    try:
        parser.feed(html or "")
        parser.close()
    except Exception:  # noqa: S110 - a broken document still gives its text so far
        pass
    lines = [line.rstrip().replace("\xa0", " ") for line in parser.lines]
    return tidy("\n".join(lines))


def tidy(text: str) -> str:
    """Line endings unified, trailing spaces and runs of blank lines gone."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    lines = [line.rstrip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    return "\n".join(out).strip("\n")


# The line a mail client writes above the message it quotes, in the languages of our
# customers and the clients we know. Matched on one line, or on two lines joined (Gmail
# wraps a long "On …, Name <address> wrote:").
_ATTRIBUTION = re.compile(
    r"^\s*(?:"
    r"On\s.{1,200}\swrote\s*:"  # Gmail, Apple Mail, Thunderbird (en)
    r"|Le\s.{1,200}\sa\s[ée]crit\s*:"  # fr
    r"|Am\s.{1,200}\sschrieb\s.{0,200}:"  # de
    r"|El\s.{1,200}\sescribi[óo]\s*:"  # es
    r"|Em\s.{1,200}\sescreveu\s*:"  # pt
    r"|Il\s.{1,200}\sha\sscritto\s*:"  # it
    r"|Op\s.{1,200}\sschreef\s.{0,200}:"  # nl
    r"|.{0,200}\s(?:كتب|كتبت)(?:\s.{0,200})?:"  # ar: "في … كتب فلان <…>:"
    r"|.{1,200}\sכתב(?:ה)?\s*:"  # he
    r"|.{1,200}\sпишет\s*:"  # ru
    r"|.{1,200}\s(?:написал|написала)\s*:?"  # ru
    r")\s*$",
    re.IGNORECASE,
)
# Separators above a quoted original: Outlook's rule and header block, the classic
# "Original Message" line in several languages.
_SEPARATOR = re.compile(
    r"^\s*(?:"
    r"-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|"
    r"Mensaje original|Mensagem original|Messaggio originale|Oorspronkelijk bericht|"
    r"الرسالة الأصلية|Исходное сообщение)\s*-{2,}"
    r"|_{20,}"
    r")\s*$",
    re.IGNORECASE,
)
# Outlook quotes without ">": a block of "From: … / Sent: … / To: … / Subject: …".
_HEADER_LINE = re.compile(r"^\s*\*?(?:From|De|Von|Da|Van|От|من)\s*:\*?\s+\S", re.IGNORECASE)
_HEADER_FOLLOW = re.compile(
    r"^\s*\*?(?:Sent|Date|Envoyé|Gesendet|Enviado|Inviato|Verzonden|Отправлено|"
    r"To|À|An|Para|A|Aan|Кому|Subject|Objet|Betreff|Asunto|Assunto|Oggetto|Onderwerp|Тема|"
    r"التاريخ|إلى|الموضوع|تاريخ الإرسال)\s*:",
    re.IGNORECASE,
)
# A forwarded message is the content itself: nothing below these lines is cut.
_FORWARD = re.compile(
    r"^\s*(?:-{2,}\s*(?:Forwarded message|Message transféré|Weitergeleitete Nachricht|"
    r"Mensaje reenviado|Mensagem encaminhada|Messaggio inoltrato|Doorgestuurd bericht|"
    r"رسالة مُعاد توجيهها|رسالة معاد توجيهها|Пересылаемое сообщение)\s*-{2,}"
    r"|Begin forwarded message:"
    r"|Début du message réexpédié\s*:"
    r")\s*$",
    re.IGNORECASE,
)
# A signature: "-- " (RFC 3676), and the footers phones add.
_SIGNATURE = re.compile(r"^--\s?$")
_SENT_FROM = re.compile(
    r"^\s*(?:Sent from my |Sent from Outlook|Get Outlook for |Envoyé de mon |"
    r"Von meinem .{1,40} gesendet|Enviado desde mi |Enviado do meu |"
    r"Inviato da |Verzonden vanaf mijn |أرسلت من |Отправлено с )",
    re.IGNORECASE,
)


# Direction marks Gmail puts around names and addresses in right-to-left attributions.
_BIDI = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _quote_starts(lines: list[str]) -> int | None:
    """Index of the first line of the quoted history, or None. Stops looking at a
    forwarded message: what follows it is what the customer wants us to read."""
    lines = [_BIDI.sub("", line) for line in lines]
    for i, line in enumerate(lines):
        if _FORWARD.match(line):
            return None
        if _SEPARATOR.match(line):
            return i
        if _ATTRIBUTION.match(line) and _quoted_below(lines, i + 1):
            return i
        joined = f"{line} {lines[i + 1]}" if i + 1 < len(lines) else ""
        if joined and _ATTRIBUTION.match(joined) and _quoted_below(lines, i + 2):
            return i
        if _HEADER_LINE.match(line):
            following = [x for x in lines[i + 1 : i + 5] if x.strip()]
            if sum(1 for x in following[:3] if _HEADER_FOLLOW.match(x)) >= 2:
                return i
    return None


def _quoted_below(lines: list[str], start: int) -> bool:
    """An attribution counts only when it names an address, or stands above quoted text
    (or at the very end), so that a sentence such as "On Monday my brother wrote:" in the
    middle of a message stays."""
    if "@" in lines[start - 1] or (start >= 2 and "@" in lines[start - 2]):
        return True
    for line in lines[start:]:
        if line.strip():
            return line.lstrip().startswith(">")
    return True


def strip_reply(text: str) -> str:
    """What is new in a reply: without the quoted history (an attribution line and what
    follows, "> " lines, Outlook's header block) and without the signature. When nothing
    would be left (a message that is all quote, or a forward with no note), the whole
    text is kept: nothing the customer sent is lost."""
    full = tidy(text)
    lines = full.split("\n")
    cut = _quote_starts(lines)
    if cut is not None:
        lines = lines[:cut]
    forward_at = next((i for i, line in enumerate(lines) if _FORWARD.match(line)), len(lines))
    head, forwarded = lines[:forward_at], lines[forward_at:]
    head = [line for line in head if not line.lstrip().startswith(">")]
    # The signature: from the last "-- " line of the new text.
    for i in range(len(head) - 1, -1, -1):
        if _SIGNATURE.match(head[i]):
            head = head[:i]
            break
    while head and not head[-1].strip():
        head.pop()
    if head and _SENT_FROM.match(head[-1]):
        head.pop()
    result = tidy("\n".join(head + forwarded))
    return result if result.strip() else full
