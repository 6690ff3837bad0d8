"""The demo's conversation with its customers: interactions on every channel, notes with
@mentions, tasks (done, overdue, due today, upcoming), the question bank and answers.

Everything is written through the services (`interaction_log`,
`interaction_with_answers`, `answer_record`, `note_add`, `task_create`, `task_update`,
`question_save`). The services date notes, tasks and notifications "now"; afterwards their
timestamps are moved into the past with one `bulk_update` per model (set-based, a handful
of queries), so the timeline reads like years of history rather than one afternoon.

Deterministic: each customer's history comes from a random stream seeded by its demo id.
Idempotent: interactions carry external ids ("demo-000123-i0007"), every customer gets at
least one, and a customer that has some is left alone on the next run.

Summaries, reasons and outcomes are in the customer's language (the six of the demo);
notes and tasks, written by staff for staff, are in English.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from patron.accounts.models import User
from patron.commerce.demo import demo_rng
from patron.commerce.models import Order, OrderLine
from patron.customers.models import Membership
from patron.interactions.models import Interaction, Note, Notification, Question, Task
from patron.interactions.selectors import applies_to
from patron.interactions.services import (
    answer_record,
    interaction_log,
    interaction_with_answers,
    note_add,
    question_save,
    task_create,
    task_update,
    tasks_mark_reminded,
)

if TYPE_CHECKING:
    from patron.customers.models import Customer

LANGUAGES = ("en", "he", "ar", "hy", "ka", "ms")
DAY = dt.timedelta(days=1)


def _tr(en: str, he: str, ar: str, hy: str, ka: str, ms: str) -> dict[str, str]:
    return dict(zip(LANGUAGES, (en, he, ar, hy, ka, ms), strict=True))


REASONS = {
    "order": _tr("Order", "הזמנה", "طلب", "Պատվեր", "შეკვეთა", "Pesanan"),
    "delivery": _tr("Delivery", "משלוח", "التوصيل", "Առաքում", "მიწოდება", "Penghantaran"),
    "invoice": _tr("Invoice", "חשבונית", "فاتورة", "Հաշիվ-ապրանքագիր", "ინვოისი", "Invois"),
    "complaint": _tr("Complaint", "תלונה", "شكوى", "Բողոք", "საჩივარი", "Aduan"),
    "product": _tr(
        "Product advice",
        "ייעוץ מוצר",
        "استشارة حول المنتجات",
        "Խորհրդատվություն ապրանքի մասին",
        "კონსულტაცია პროდუქტზე",
        "Nasihat produk",
    ),
    "quote": _tr(
        "Quote request",
        "בקשת הצעת מחיר",
        "طلب عرض سعر",
        "Գնային առաջարկի հարցում",
        "ფასის შეთავაზების მოთხოვნა",
        "Permintaan sebut harga",
    ),
    "return": _tr("Return", "החזרה", "إرجاع", "Վերադարձ", "დაბრუნება", "Pemulangan"),
    "repair": _tr("Repair", "תיקון", "تصليح", "Նորոգում", "შეკეთება", "Pembaikan"),
    "payment": _tr("Payment", "תשלום", "الدفع", "Վճարում", "გადახდა", "Pembayaran"),
    "follow_up": _tr(
        "Follow-up", "מעקב", "متابعة", "Հետագա քայլեր", "შემდგომი კონტაქტი", "Susulan"
    ),
    "campaign": _tr(
        "Campaign", "קמפיין", "حملة تسويقية", "Գովազդային արշավ", "სარეკლამო კამპანია", "Kempen"
    ),
    "account": _tr(
        "Account details",
        "פרטי חשבון",
        "بيانات الحساب",
        "Հաշվի տվյալներ",
        "ანგარიშის მონაცემები",
        "Butiran akaun",
    ),
    "feedback": _tr("Feedback", "משוב", "رأي العميل", "Կարծիք", "უკუკავშირი", "Maklum balas"),
    "cancellation": _tr("Cancellation", "ביטול", "إلغاء", "Չեղարկում", "გაუქმება", "Pembatalan"),
}
OUTCOMES = {
    "resolved": _tr("Resolved", "נפתר", "تم الحل", "Լուծված է", "მოგვარდა", "Selesai"),
    "callback": _tr(
        "Call back agreed",
        "סוכם לחזור ללקוח",
        "تم الاتفاق على معاودة الاتصال",
        "Պայմանավորվեցինք հետ զանգել",
        "შევთანხმდით, რომ გადავურეკავთ",
        "Akan hubungi semula",
    ),
    "quote_sent": _tr(
        "Quote sent",
        "נשלחה הצעת מחיר",
        "تم إرسال عرض السعر",
        "Գնային առաջարկն ուղարկված է",
        "ფასის შეთავაზება გაიგზავნა",
        "Sebut harga dihantar",
    ),
    "order_placed": _tr(
        "Order placed",
        "בוצעה הזמנה",
        "تم تقديم الطلب",
        "Պատվերը ձևակերպված է",
        "შეკვეთა გაფორმდა",
        "Pesanan dibuat",
    ),
    "no_answer": _tr(
        "No answer", "אין מענה", "لا يوجد رد", "Չպատասխանեց", "არ უპასუხა", "Tiada jawapan"
    ),
    "escalated": _tr(
        "Escalated to the manager",
        "הועבר למנהל",
        "تم التصعيد إلى المدير",
        "Փոխանցվեց ղեկավարին",
        "გადაეცა მენეჯერს",
        "Dirujuk kepada pengurus",
    ),
    "refund": _tr(
        "Refund issued",
        "בוצע זיכוי",
        "تم رد المبلغ",
        "Գումարը վերադարձվեց",
        "თანხა დაუბრუნდა",
        "Bayaran balik dibuat",
    ),
    "info_sent": _tr(
        "Information sent",
        "נשלח מידע",
        "تم إرسال المعلومات",
        "Տեղեկատվությունն ուղարկվեց",
        "ინფორმაცია გაიგზავნა",
        "Maklumat dihantar",
    ),
    "not_interested": _tr(
        "Not interested",
        "לא מעוניין",
        "غير مهتم",
        "Հետաքրքրված չէ",
        "არ არის დაინტერესებული",
        "Tidak berminat",
    ),
    "meeting_booked": _tr(
        "Meeting booked",
        "נקבעה פגישה",
        "تم تحديد موعد اجتماع",
        "Հանդիպում նշանակվեց",
        "შეხვედრა დაინიშნა",
        "Mesyuarat ditetapkan",
    ),
    "paid": _tr("Paid", "שולם", "تم الدفع", "Վճարված է", "გადახდილია", "Sudah dibayar"),
    "delivered": _tr(
        "Delivered", "נמסר", "تم التسليم", "Առաքված է", "მიწოდებულია", "Telah dihantar"
    ),
}


@dataclass(frozen=True)
class Kind:
    """A kind of interaction the demo logs: where, which way, why, how it can end."""

    channel: str
    direction: str
    reason: str
    outcomes: tuple[str, ...]
    summary: dict[str, str]
    sentiments: tuple[str, ...] = ("", "", "neutral")
    device: bool = False


IN, OUT = "inbound", "outbound"
GOOD, BAD = ("positive", "positive", ""), ("negative", "negative", "")
KINDS = {
    # First contacts.
    "web_signup": Kind(
        "web",
        IN,
        "account",
        ("info_sent",),
        _tr(
            "Signed up for the newsletter on the website",
            "הרשמה לניוזלטר באתר",
            "اشتراك في النشرة الإخبارية عبر الموقع",
            "Բաժանորդագրվեց տեղեկագրին կայքում",
            "გამოიწერა საინფორმაციო ბიულეტენი საიტზე",
            "Melanggan surat berita di laman web",
        ),
        device=True,
    ),
    "store_first": Kind(
        "store",
        IN,
        "product",
        ("info_sent", "order_placed"),
        _tr(
            "First visit to the store",
            "ביקור ראשון בחנות",
            "الزيارة الأولى للمتجر",
            "Առաջին այցը խանութ",
            "პირველი ვიზიტი მაღაზიაში",
            "Kunjungan pertama ke kedai",
        ),
        GOOD,
    ),
    "phone_enquiry": Kind(
        "phone",
        IN,
        "product",
        ("info_sent", "quote_sent", "callback"),
        _tr(
            "Enquiry about our product range",
            "בירור לגבי מגוון המוצרים שלנו",
            "استفسار عن مجموعة منتجاتنا",
            "Հարցում մեր ապրանքների տեսականու մասին",
            "შეკითხვა ჩვენი პროდუქციის ასორტიმენტზე",
            "Pertanyaan tentang rangkaian produk kami",
        ),
    ),
    "fair_meeting": Kind(
        "meeting",
        IN,
        "product",
        ("meeting_booked", "info_sent"),
        _tr(
            "Met at the office supplies trade fair",
            "פגישה בתערוכת ציוד משרדי",
            "لقاء في معرض مستلزمات المكاتب",
            "Հանդիպում գրասենյակային ապրանքների ցուցահանդեսում",
            "შეხვედრა საოფისე ნივთების გამოფენაზე",
            "Bertemu di pameran bekalan pejabat",
        ),
        GOOD,
    ),
    "chat_stock": Kind(
        "chat",
        IN,
        "product",
        ("info_sent", "resolved"),
        _tr(
            "Asked whether a product is in stock",
            "שאלה אם מוצר נמצא במלאי",
            "استفسار عن توفر منتج في المخزون",
            "Հարցրեց՝ արդյոք ապրանքը առկա է",
            "იკითხა, არის თუ არა პროდუქტი მარაგში",
            "Bertanya sama ada produk ada dalam stok",
        ),
        device=True,
    ),
    "social_question": Kind(
        "social",
        IN,
        "product",
        ("info_sent", "resolved"),
        _tr(
            "Question sent through our Facebook page",
            "שאלה שנשלחה דרך עמוד הפייסבוק שלנו",
            "سؤال عبر صفحتنا على فيسبوك",
            "Հարց մեր Facebook էջի միջոցով",
            "შეკითხვა ჩვენი Facebook გვერდის მეშვეობით",
            "Soalan melalui halaman Facebook kami",
        ),
        device=True,
    ),
    # The everyday conversation.
    "newsletter": Kind(
        "email",
        OUT,
        "campaign",
        ("info_sent",),
        _tr(
            "New catalogue sent",
            "נשלח הקטלוג החדש",
            "تم إرسال الكتالوج الجديد",
            "Ուղարկվեց նոր կատալոգը",
            "გაიგზავნა ახალი კატალოგი",
            "Katalog baharu dihantar",
        ),
        ("",),
    ),
    "quote_email": Kind(
        "email",
        OUT,
        "quote",
        ("quote_sent",),
        _tr(
            "Quote sent as requested",
            "נשלחה הצעת מחיר לפי בקשה",
            "تم إرسال عرض السعر حسب الطلب",
            "Գնային առաջարկն ուղարկվեց ըստ հարցման",
            "ფასის შეთავაზება გაიგზავნა მოთხოვნისამებრ",
            "Sebut harga dihantar seperti diminta",
        ),
    ),
    "address_change": Kind(
        "email",
        IN,
        "account",
        ("resolved",),
        _tr(
            "Asked to update the delivery address",
            "בקשה לעדכן את כתובת המשלוח",
            "طلب تحديث عنوان التوصيل",
            "Խնդրեց թարմացնել առաքման հասցեն",
            "მოითხოვა მიწოდების მისამართის განახლება",
            "Minta kemas kini alamat penghantaran",
        ),
    ),
    "volume_form": Kind(
        "web",
        IN,
        "quote",
        ("quote_sent", "callback"),
        _tr(
            "Contact form: request for a volume discount",
            "טופס יצירת קשר: בקשה להנחת כמות",
            "نموذج الاتصال: طلب خصم على الكمية",
            "Կապի ձև. մեծածախ զեղչի հարցում",
            "საკონტაქტო ფორმა: რაოდენობრივი ფასდაკლების მოთხოვნა",
            "Borang hubungan: permintaan diskaun pukal",
        ),
        device=True,
    ),
    "advice_call": Kind(
        "phone",
        IN,
        "product",
        ("resolved", "quote_sent"),
        _tr(
            "Asked for advice on choosing a printer",
            "בקשת ייעוץ בבחירת מדפסת",
            "طلب نصيحة في اختيار طابعة",
            "Խորհրդատվություն տպիչի ընտրության հարցով",
            "კონსულტაცია პრინტერის არჩევაზე",
            "Minta nasihat memilih pencetak",
        ),
    ),
    "follow_up_call": Kind(
        "phone",
        OUT,
        "follow_up",
        ("resolved", "no_answer", "callback", "order_placed"),
        _tr(
            "Follow-up call after the last order",
            "שיחת מעקב אחרי ההזמנה האחרונה",
            "مكالمة متابعة بعد آخر طلب",
            "Հետագա զանգ վերջին պատվերից հետո",
            "შემდგომი ზარი ბოლო შეკვეთის შემდეგ",
            "Panggilan susulan selepas pesanan terakhir",
        ),
    ),
    "review_meeting": Kind(
        "meeting",
        OUT,
        "follow_up",
        ("quote_sent", "order_placed", "resolved"),
        _tr(
            "Annual review meeting at their office",
            "פגישת סיכום שנתית במשרדי הלקוח",
            "اجتماع المراجعة السنوية في مكتب العميل",
            "Տարեկան ամփոփիչ հանդիպում հաճախորդի գրասենյակում",
            "წლიური შემაჯამებელი შეხვედრა კლიენტის ოფისში",
            "Mesyuarat tinjauan tahunan di pejabat pelanggan",
        ),
        GOOD,
    ),
    "showroom": Kind(
        "meeting",
        IN,
        "product",
        ("quote_sent", "order_placed"),
        _tr(
            "Visited the showroom to see office furniture",
            "ביקור באולם התצוגה לראות ריהוט משרדי",
            "زيارة صالة العرض لمشاهدة أثاث المكاتب",
            "Այցելեց ցուցասրահ՝ գրասենյակային կահույք դիտելու",
            "ეწვია შოურუმს საოფისე ავეჯის სანახავად",
            "Melawat bilik pameran untuk melihat perabot pejabat",
        ),
        GOOD,
    ),
    "chat_parcel": Kind(
        "chat",
        IN,
        "delivery",
        ("resolved", "escalated"),
        _tr(
            "Chat: where is my parcel?",
            "צ'אט: איפה החבילה שלי?",
            "دردشة: أين طردي؟",
            "Չատ. որտե՞ղ է իմ ծանրոցը",
            "ჩატი: სად არის ჩემი ამანათი?",
            "Sembang: di mana bungkusan saya?",
        ),
        ("negative", "neutral", ""),
        device=True,
    ),
    "review_post": Kind(
        "social",
        IN,
        "feedback",
        ("resolved",),
        _tr(
            "Positive review on our page",
            "ביקורת חיובית בעמוד שלנו",
            "تقييم إيجابي على صفحتنا",
            "Դրական կարծիք մեր էջում",
            "დადებითი შეფასება ჩვენს გვერდზე",
            "Ulasan positif di halaman kami",
        ),
        ("positive",),
        device=True,
    ),
    "social_complaint": Kind(
        "social",
        IN,
        "complaint",
        ("resolved", "escalated"),
        _tr(
            "Complaint in a comment on Instagram",
            "תלונה בתגובה באינסטגרם",
            "شكوى في تعليق على إنستغرام",
            "Բողոք Instagram-ի մեկնաբանությունում",
            "საჩივარი კომენტარში Instagram-ზე",
            "Aduan dalam komen di Instagram",
        ),
        ("negative",),
        device=True,
    ),
    "social_reply": Kind(
        "social",
        OUT,
        "product",
        ("info_sent",),
        _tr(
            "Replied to a question under our post",
            "מענה לשאלה מתחת לפוסט שלנו",
            "رد على سؤال تحت منشورنا",
            "Պատասխանեցինք մեր գրառման տակ գրված հարցին",
            "ვუპასუხეთ კითხვას ჩვენი პოსტის ქვეშ",
            "Membalas soalan di bawah hantaran kami",
        ),
    ),
    "store_chairs": Kind(
        "store",
        IN,
        "product",
        ("order_placed", "info_sent"),
        _tr(
            "In-store visit, tried out the chairs",
            "ביקור בחנות, ניסיון כיסאות",
            "زيارة للمتجر وتجربة الكراسي",
            "Այց խանութ, փորձեց աթոռները",
            "ვიზიტი მაღაზიაში, სკამების მოსინჯვა",
            "Kunjungan ke kedai, mencuba kerusi",
        ),
        GOOD,
    ),
    "payment_letter": Kind(
        "letter",
        OUT,
        "payment",
        ("info_sent", "paid"),
        _tr(
            "Payment reminder sent by post",
            "נשלחה תזכורת תשלום בדואר",
            "تم إرسال تذكير بالدفع بالبريد",
            "Վճարման հիշեցում ուղարկվեց փոստով",
            "გადახდის შეხსენება გაიგზავნა ფოსტით",
            "Peringatan bayaran dihantar melalui pos",
        ),
        ("",),
    ),
    "complaint_letter": Kind(
        "letter",
        IN,
        "complaint",
        ("resolved", "escalated"),
        _tr(
            "Letter: formal complaint about an invoice",
            "מכתב: תלונה רשמית על חשבונית",
            "رسالة: شكوى رسمية بشأن فاتورة",
            "Նամակ. պաշտոնական բողոք հաշվի վերաբերյալ",
            "წერილი: ოფიციალური საჩივარი ინვოისზე",
            "Surat: aduan rasmi tentang invois",
        ),
        ("negative",),
    ),
    "greeting_letter": Kind(
        "letter",
        OUT,
        "campaign",
        ("info_sent",),
        _tr(
            "Season's greetings card sent",
            "נשלח כרטיס ברכה לחג",
            "تم إرسال بطاقة تهنئة بالأعياد",
            "Ուղարկվեց տոնական շնորհավորական բացիկ",
            "გაიგზავნა სადღესასწაულო მისალოცი ბარათი",
            "Kad ucapan perayaan dihantar",
        ),
        ("",),
    ),
    "sms_confirm": Kind(
        "sms",
        IN,
        "follow_up",
        ("resolved",),
        _tr(
            "SMS reply: confirmed the delivery time",
            "מענה ב-SMS: אישור מועד המשלוח",
            "رد برسالة نصية: تأكيد موعد التوصيل",
            "SMS պատասխան. հաստատեց առաքման ժամը",
            "SMS პასუხი: დაადასტურა მიწოდების დრო",
            "Balasan SMS: mengesahkan masa penghantaran",
        ),
    ),
    "sms_promo": Kind(
        "sms",
        OUT,
        "campaign",
        ("info_sent",),
        _tr(
            "SMS: end-of-season sale announced",
            "SMS: הודעה על מבצע סוף עונה",
            "رسالة نصية: الإعلان عن تخفيضات نهاية الموسم",
            "SMS. սեզոնի ավարտի զեղչերի մասին",
            "SMS: სეზონის ბოლოს ფასდაკლებების ანონსი",
            "SMS: jualan akhir musim diumumkan",
        ),
        ("",),
    ),
    "repair": Kind(
        "after_sales",
        IN,
        "repair",
        ("resolved", "escalated"),
        _tr(
            "Warranty repair of a printer requested",
            "בקשה לתיקון מדפסת במסגרת האחריות",
            "طلب تصليح طابعة ضمن الضمان",
            "Տպիչի երաշխիքային նորոգման հայտ",
            "პრინტერის საგარანტიო შეკეთების მოთხოვნა",
            "Permintaan pembaikan pencetak di bawah waranti",
        ),
        ("negative", "neutral", ""),
    ),
    "satisfaction": Kind(
        "after_sales",
        OUT,
        "feedback",
        ("resolved",),
        _tr(
            "Satisfaction call after the installation",
            "שיחת שביעות רצון לאחר ההתקנה",
            "مكالمة للتحقق من الرضا بعد التركيب",
            "Գոհունակության զանգ տեղադրումից հետո",
            "კმაყოფილების ზარი მონტაჟის შემდეგ",
            "Panggilan kepuasan selepas pemasangan",
        ),
        ("positive", "neutral", ""),
    ),
    "invoice_fix": Kind(
        "billing",
        IN,
        "invoice",
        ("resolved",),
        _tr(
            "Asked for a corrected invoice",
            "בקשה לחשבונית מתוקנת",
            "طلب فاتورة معدلة",
            "Խնդրեց ուղղված հաշիվ-ապրանքագիր",
            "მოითხოვა შესწორებული ინვოისი",
            "Minta invois yang diperbetulkan",
        ),
    ),
    "payment_plan": Kind(
        "billing",
        OUT,
        "payment",
        ("paid", "callback"),
        _tr(
            "Overdue invoice, payment plan agreed",
            "חשבונית באיחור, סוכם על הסדר תשלומים",
            "فاتورة متأخرة، تم الاتفاق على خطة سداد",
            "Ժամկետանց հաշիվ, համաձայնեցվեց վճարման ժամանակացույց",
            "ვადაგადაცილებული ინვოისი, შეთანხმდა გადახდის გრაფიკი",
            "Invois tertunggak, pelan bayaran dipersetujui",
        ),
        ("negative", "neutral", ""),
    ),
    "presentation": Kind(
        "meeting",
        OUT,
        "quote",
        ("quote_sent", "meeting_booked", "not_interested"),
        _tr(
            "Presented the catalogue at their office",
            "הצגת הקטלוג במשרדי הלקוח",
            "عرض الكتالوج في مكتب العميل",
            "Կատալոգի ներկայացում հաճախորդի գրասենյակում",
            "კატალოგის პრეზენტაცია კლიენტის ოფისში",
            "Pembentangan katalog di pejabat pelanggan",
        ),
    ),
    # Around an order.
    "phone_order": Kind(
        "phone",
        IN,
        "order",
        ("order_placed",),
        _tr(
            "Placed an order by phone",
            "הזמנה טלפונית",
            "طلب عبر الهاتف",
            "Պատվեր հեռախոսով",
            "შეკვეთა ტელეფონით",
            "Membuat pesanan melalui telefon",
        ),
        ("",),
    ),
    "email_order": Kind(
        "email",
        IN,
        "order",
        ("order_placed",),
        _tr(
            "Order received by email",
            "הזמנה שהתקבלה במייל",
            "طلب وصل عبر البريد الإلكتروني",
            "Պատվերը ստացվել է էլ. փոստով",
            "შეკვეთა მიღებულია ელფოსტით",
            "Pesanan diterima melalui e-mel",
        ),
        ("",),
    ),
    "sms_shipped": Kind(
        "sms",
        OUT,
        "delivery",
        ("delivered",),
        _tr(
            "SMS: your order is on its way",
            "SMS: ההזמנה שלך בדרך",
            "رسالة نصية: طلبك في الطريق",
            "SMS. ձեր պատվերը ճանապարհին է",
            "SMS: თქვენი შეკვეთა გზაშია",
            "SMS: pesanan anda dalam perjalanan",
        ),
        ("",),
    ),
    "order_cancel": Kind(
        "email",
        IN,
        "cancellation",
        ("resolved",),
        _tr(
            "Cancelled the order before dispatch",
            "ביטול ההזמנה לפני המשלוח",
            "إلغاء الطلب قبل الشحن",
            "Չեղարկեց պատվերը առաքումից առաջ",
            "გააუქმა შეკვეთა გაგზავნამდე",
            "Membatalkan pesanan sebelum penghantaran",
        ),
    ),
    "store_return": Kind(
        "store",
        IN,
        "return",
        ("refund",),
        _tr(
            "Returned an item at the store",
            "החזרת פריט בחנות",
            "إرجاع منتج في المتجر",
            "Ապրանքի վերադարձ խանութում",
            "ნივთის დაბრუნება მაღაზიაში",
            "Memulangkan barang di kedai",
        ),
    ),
    "return_request": Kind(
        "after_sales",
        IN,
        "return",
        ("refund",),
        _tr(
            "Return requested: wrong item delivered",
            "בקשת החזרה: נשלח פריט שגוי",
            "طلب إرجاع: تم توصيل منتج خاطئ",
            "Վերադարձի հայտ. առաքվել է սխալ ապրանք",
            "დაბრუნების მოთხოვნა: მიწოდებულია არასწორი ნივთი",
            "Permintaan pemulangan: barang salah dihantar",
        ),
        BAD,
    ),
    "damaged": Kind(
        "phone",
        IN,
        "complaint",
        ("refund", "resolved", "escalated"),
        _tr(
            "Called about a damaged delivery",
            "שיחה בנוגע למשלוח שהגיע פגום",
            "اتصال بخصوص شحنة وصلت تالفة",
            "Զանգ վնասված առաքման վերաբերյալ",
            "ზარი დაზიანებული მიწოდების თაობაზე",
            "Panggilan tentang barang rosak semasa penghantaran",
        ),
        BAD,
    ),
    "invoice_sent": Kind(
        "billing",
        OUT,
        "invoice",
        ("paid", "info_sent"),
        _tr(
            "Invoice sent for the order",
            "נשלחה חשבונית עבור ההזמנה",
            "تم إرسال فاتورة الطلب",
            "Պատվերի հաշիվ-ապրանքագիրն ուղարկվեց",
            "შეკვეთის ინვოისი გაიგზავნა",
            "Invois untuk pesanan dihantar",
        ),
        ("",),
    ),
    # The end of a relationship.
    "winback": Kind(
        "phone",
        OUT,
        "cancellation",
        ("not_interested", "callback", "no_answer"),
        _tr(
            "Win-back call: they moved to a competitor",
            "שיחת החזרה: הלקוח עבר למתחרה",
            "مكالمة استعادة: انتقل العميل إلى منافس",
            "Վերադարձի զանգ. անցել է մրցակցի",
            "დაბრუნების ზარი: კლიენტი გადავიდა კონკურენტთან",
            "Panggilan memenangi semula: beralih ke pesaing",
        ),
        BAD,
    ),
    "close_account": Kind(
        "email",
        IN,
        "cancellation",
        ("resolved",),
        _tr(
            "Asked to close the account, prices too high",
            "בקשה לסגור את החשבון, המחירים גבוהים מדי",
            "طلب إغلاق الحساب، الأسعار مرتفعة جداً",
            "Խնդրեց փակել հաշիվը, գները շատ բարձր են",
            "მოითხოვა ანგარიშის დახურვა, ფასები ძალიან მაღალია",
            "Minta tutup akaun, harga terlalu tinggi",
        ),
        BAD,
    ),
}
FIRST = ("web_signup", "store_first", "phone_enquiry", "fair_meeting", "chat_stock")
FIRST_WEIGHTS = {"person": (35, 30, 15, 5, 15), "organization": (15, 5, 40, 35, 5)}
# The everyday conversation: (kind, weight for people, weight for organizations).
EVERYDAY = (
    ("newsletter", 12, 8),
    ("quote_email", 3, 10),
    ("address_change", 2, 2),
    ("volume_form", 1, 5),
    ("advice_call", 5, 5),
    ("follow_up_call", 6, 12),
    ("review_meeting", 0, 6),
    ("showroom", 2, 3),
    ("chat_parcel", 5, 2),
    ("chat_stock", 5, 2),
    ("review_post", 4, 1),
    ("social_complaint", 2, 1),
    ("social_reply", 3, 1),
    ("social_question", 3, 1),
    ("store_chairs", 5, 1),
    ("payment_letter", 1, 3),
    ("complaint_letter", 1, 1),
    ("sms_confirm", 4, 2),
    ("sms_promo", 6, 1),
    ("repair", 2, 3),
    ("satisfaction", 2, 3),
    ("invoice_fix", 1, 4),
    ("payment_plan", 1, 2),
)
PROSPECTING = (
    ("quote_email", 4, 8),
    ("volume_form", 2, 5),
    ("follow_up_call", 6, 10),
    ("presentation", 1, 8),
    ("newsletter", 8, 4),
    ("chat_stock", 4, 1),
    ("showroom", 2, 3),
    ("sms_promo", 3, 0),
)
DEVICES = ("Desktop", "Desktop", "iPhone", "Android phone", "iPad")

# --- The question bank ----------------------------------------------------------------------

MONTHS = [dt.date(2000, m, 1).strftime("%B") for m in range(1, 13)]
QUESTIONS: list[dict[str, Any]] = [
    {
        "key": "why_left",
        "text": "What made you stop ordering from us?",
        "help_text": "The one thing that would bring them back.",
        "answer_type": Question.AnswerType.TEXT,
        "applies_to_stages": ["lost"],
        "priority": 95,
    },
    {
        "key": "employees",
        "text": "How many people work at your organization?",
        "help_text": "Sizes the offer and the account's potential.",
        "answer_type": Question.AnswerType.NUMBER,
        "applies_to_kind": "organization",
        "priority": 90,
        "ask_again_after_days": 365,
    },
    {
        "key": "contract_end",
        "text": "When does your contract with your current supplier end?",
        "help_text": "The moment to come back with an offer.",
        "answer_type": Question.AnswerType.DATE,
        "applies_to_kind": "organization",
        "applies_to_stages": ["prospect"],
        "priority": 85,
    },
    {
        "key": "contact_time",
        "text": "When do you prefer us to get in touch?",
        "help_text": "So that we call when it suits them.",
        "answer_type": Question.AnswerType.CHOICE,
        "choices": ["Morning", "Afternoon", "Evening", "Any time"],
        "priority": 80,
    },
    {
        "key": "heard_of_us",
        "text": "How did you hear about us?",
        "answer_type": Question.AnswerType.CHOICE,
        "choices": [
            "Search engine",
            "Friend or colleague",
            "Social media",
            "Trade fair",
            "Passing by the store",
            "Advertisement",
        ],
        "applies_to_stages": ["prospect", "customer"],
        "priority": 70,
    },
    {
        "key": "interests",
        "text": "Which of our ranges interest you most?",
        "answer_type": Question.AnswerType.CHOICE,
        "choices": [
            "Office furniture",
            "Stationery",
            "Electronics",
            "Coffee & pantry",
            "Cleaning & hygiene",
            "Services",
        ],
        "priority": 60,
        "ask_again_after_days": 730,
    },
    {
        "key": "annual_budget",
        "text": "What is your yearly budget for office supplies?",
        "help_text": "In the default currency; a rough figure is enough.",
        "answer_type": Question.AnswerType.NUMBER,
        "applies_to_kind": "organization",
        "applies_to_stages": ["customer", "partner"],
        "priority": 55,
        "ask_again_after_days": 365,
    },
    {
        "key": "birthday_month",
        "text": "In which month is your birthday?",
        "help_text": "For the birthday voucher.",
        "answer_type": Question.AnswerType.CHOICE,
        "choices": MONTHS,
        "applies_to_kind": "person",
        "priority": 40,
    },
    {
        "key": "improve",
        "text": "What could we do better?",
        "answer_type": Question.AnswerType.TEXT,
        "applies_to_stages": ["customer"],
        "priority": 30,
        "ask_again_after_days": 180,
    },
]
TEXT_ANSWERS = {
    "why_left": [
        _tr(
            "Found a cheaper supplier",
            "מצאנו ספק זול יותר",
            "وجدنا مورداً أرخص",
            "Գտանք ավելի էժան մատակարար",
            "ვიპოვეთ უფრო იაფი მომწოდებელი",
            "Jumpa pembekal yang lebih murah",
        ),
        _tr(
            "Deliveries were often late",
            "המשלוחים איחרו לעתים קרובות",
            "كانت الطلبيات تتأخر كثيراً",
            "Առաքումները հաճախ ուշանում էին",
            "მიწოდება ხშირად იგვიანებდა",
            "Penghantaran selalu lewat",
        ),
        _tr(
            "We closed the office",
            "סגרנו את המשרד",
            "أغلقنا المكتب",
            "Փակեցինք գրասենյակը",
            "ოფისი დავხურეთ",
            "Kami menutup pejabat",
        ),
        _tr(
            "Our company now buys centrally",
            "החברה קונה עכשיו באופן מרוכז",
            "شركتنا تشتري الآن بشكل مركزي",
            "Մեր ընկերությունն այժմ գնում է կենտրոնացված",
            "ჩვენი კომპანია ახლა ცენტრალიზებულად ყიდულობს",
            "Syarikat kami kini membeli secara berpusat",
        ),
    ],
    "improve": [
        _tr(
            "Faster delivery",
            "משלוח מהיר יותר",
            "توصيل أسرع",
            "Ավելի արագ առաքում",
            "უფრო სწრაფი მიწოდება",
            "Penghantaran lebih cepat",
        ),
        _tr(
            "More eco-friendly products",
            "יותר מוצרים ידידותיים לסביבה",
            "منتجات صديقة للبيئة أكثر",
            "Ավելի շատ էկոլոգիապես մաքուր ապրանքներ",
            "მეტი ეკოლოგიურად სუფთა პროდუქტი",
            "Lebih banyak produk mesra alam",
        ),
        _tr(
            "A better search on the website",
            "חיפוש טוב יותר באתר",
            "بحث أفضل في الموقع",
            "Կայքում ավելի լավ որոնում",
            "საიტზე უკეთესი ძიება",
            "Carian yang lebih baik di laman web",
        ),
        _tr(
            "Invoices by email only",
            "חשבוניות במייל בלבד",
            "الفواتير عبر البريد الإلكتروني فقط",
            "Հաշիվները միայն էլ. փոստով",
            "ინვოისები მხოლოდ ელფოსტით",
            "Invois melalui e-mel sahaja",
        ),
    ],
}

# --- Notes and tasks (staff write them for staff: in English) --------------------------------

NOTES_WITH_MENTION = (
    "{m} they asked for 8% off the next chair order. Can we approve it?",
    "{m} FYI: the buyer says next year's budget is approved; expect a larger order in Q1.",
    "Complained twice about late deliveries. {m} can you check with the warehouse?",
    "{m} please call them back this week, they would rather speak to you.",
    "Invoices now go to their accountant. {m} please update the billing details.",
    "{m} they want to see the sit-stand desks; can you bring one to the meeting?",
)
NOTES = (
    "Prefers calls after 4 pm, never on Fridays.",
    "Key account: always confirm prices in writing before delivery.",
    "Asked not to receive the paper catalogue any more.",
    "Pays reliably, but only after a reminder.",
    "Very happy with the last installation; could give us a reference.",
    "Compares our prices with online shops: mention the service contract.",
)
# (title, description, for whom: "" anyone, else a lifecycle stage or "organization").
TASKS = (
    ("Call back about the quote", "They wanted to compare with another offer first.", ""),
    ("Send the corrected invoice", "", "customer"),
    ("Confirm the delivery date", "Chairs and desks arrive in two shipments.", "customer"),
    ("Follow up on the printer repair", "", "customer"),
    (
        "Prepare the annual review meeting",
        "Bring last year's orders and the catalogue.",
        "organization",
    ),
    ("Check payment of the overdue invoice", "", "customer"),
    ("Send the catalogue and price list", "", ""),
    ("Ask for feedback after the installation", "", "customer"),
    ("Offer the renewal of the maintenance contract", "", "organization"),
    ("Win-back offer before the end of the month", "Lost to a competitor on price.", "lost"),
    ("Book a showroom visit", "", "prospect"),
    ("Agree the partner discount for next year", "", "partner"),
)


@dataclass
class HistoryReport:
    questions_added: int = 0
    interactions_added: int = 0
    answers_added: int = 0
    notes_added: int = 0
    tasks_added: int = 0


def demo_questions_load() -> tuple[dict[str, Question], int]:
    """The demo's question bank: the questions missing are added (an admin's changes to
    one already there are kept). Returns the questions by key and how many were added."""
    known = {q.key: q for q in Question.objects.filter(key__in=[q["key"] for q in QUESTIONS])}
    added = 0
    for fields in QUESTIONS:
        if fields["key"] not in known:
            known[fields["key"]] = question_save(actor=None, **fields)
            added += 1
    return known, added


@dataclass
class _Event:
    at: dt.datetime
    kind: str
    answers: list[tuple[Question, Any, bool]] = field(default_factory=list)


@dataclass
class _Backdate:
    """Timestamps the services set to "now", to move into the past in bulk at the end."""

    notes: list[Note] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    last_notification: int = 0
    reminded: list[int] = field(default_factory=list)

    def notified(self, when: dt.datetime, now: dt.datetime) -> None:
        """Date the notifications written since the last call `when` (read if old)."""
        new = list(
            Notification.objects.filter(pk__gt=self.last_notification).values_list("pk", flat=True)
        )
        for pk in new:
            read = when + DAY if now - when > dt.timedelta(days=5) else None
            self.notifications.append(Notification(pk=pk, created_at=when, read_at=read))
        self.last_notification = max([self.last_notification, *new])

    def apply(self) -> None:
        Note.objects.bulk_update(self.notes, ["created_at", "updated_at"], batch_size=500)
        Task.objects.bulk_update(
            self.tasks, ["created_at", "updated_at", "completed_at"], batch_size=500
        )
        Notification.objects.bulk_update(
            self.notifications, ["created_at", "read_at"], batch_size=500
        )


class _Story:
    """One customer's history, from its own random stream."""

    def __init__(
        self,
        key: str,
        customer: Customer,
        *,
        seed: int,
        now: dt.datetime,
        rich: bool,
        owner: User,
        manager: User,
        orders: list[dict[str, Any]],
        organization: Customer | None,
    ) -> None:
        self.key, self.customer, self.now, self.rich = key, customer, now, rich
        self.owner, self.manager, self.orders = owner, manager, orders
        self.organization = organization
        self.rng = demo_rng(seed, key, "history")
        self.language = customer.language if customer.language in LANGUAGES else "en"
        self.kind = "organization" if customer.is_organization else "person"
        self.start = min(customer.created_at, now)
        self.tasked: set[str] = set()  # task titles already given, so none repeats

    # --- when ---------------------------------------------------------------------------

    def moment(self, start: dt.datetime, end: dt.datetime) -> dt.datetime:
        start, end = max(start, self.start), min(end, self.now)
        if end <= start:
            return min(start, self.now)
        moment = start + (end - start) * self.rng.random()
        moment = moment.replace(hour=self.rng.randint(8, 18), minute=self.rng.randint(0, 59))
        return min(max(moment, start), end).replace(second=0, microsecond=0)

    def active_until(self) -> dt.datetime:
        """When the relationship went quiet (now, except for the lost)."""
        if self.customer.lifecycle_stage != "lost":
            return self.now
        last_order = max((o["placed_at"] for o in self.orders), default=None)
        if last_order is not None:
            return min(self.now, last_order + dt.timedelta(days=self.rng.randint(20, 150)))
        return self.start + (self.now - self.start) * 0.6

    # --- what ---------------------------------------------------------------------------

    def _pick(self, table: Sequence[tuple[str, int, int]]) -> str:
        column = 1 if self.kind == "person" else 2
        return self.rng.choices([row[0] for row in table], [row[column] for row in table])[0]

    def events(self) -> list[_Event]:
        rng = self.rng
        events = [
            _Event(
                self.moment(self.start, self.start + dt.timedelta(hours=10)),
                rng.choices(FIRST, FIRST_WEIGHTS[self.kind])[0],
            )
        ]
        for order in self.orders:
            events += self._around_order(order)
        until = self.active_until()
        stage = self.customer.lifecycle_stage
        years = max(0.05, (until - self.start).days / 365)
        if self.rich:
            rate = 55.0
        elif stage == "prospect":
            rate = 2.0
        elif stage == "partner":
            rate = 5.0
        else:
            rate = 1.5 + 0.15 * len(self.orders) / years
        count = min(260 if self.rich else 40, round(rate * years) + rng.randint(0, 2))
        table = PROSPECTING if stage == "prospect" else EVERYDAY
        for _ in range(count):
            at = self.moment(self.start, until)
            if at.month == 12 and rng.random() < 0.15:
                events.append(_Event(at, "greeting_letter"))
            else:
                events.append(_Event(at, self._pick(table)))
        if stage == "lost":
            if rng.random() < 0.5:
                at = self.moment(until + dt.timedelta(days=10), until + dt.timedelta(days=60))
                events.append(_Event(at, "close_account"))
            at = self.moment(until + dt.timedelta(days=61), until + dt.timedelta(days=200))
            events.append(_Event(at, "winback"))
        events = [e for e in events if e.at <= self.now]
        events.sort(key=lambda e: e.at)
        return events

    def _around_order(self, order: dict[str, Any]) -> list[_Event]:
        rng, placed, status = self.rng, order["placed_at"], order["status"]
        events = []
        if order["channel"] == "phone":
            events.append(_Event(placed - dt.timedelta(minutes=rng.randint(2, 30)), "phone_order"))
        elif order["channel"] == "email" and rng.random() < 0.5:
            events.append(_Event(placed - dt.timedelta(minutes=rng.randint(5, 90)), "email_order"))
        if status == Order.Status.CANCELLED:
            events.append(_Event(placed + dt.timedelta(hours=rng.randint(1, 20)), "order_cancel"))
            return events
        if order["channel"] == "web" and rng.random() < 0.35:
            events.append(_Event(placed + dt.timedelta(hours=rng.randint(18, 40)), "sms_shipped"))
        if status == Order.Status.RETURNED:
            kind = "store_return" if order["channel"] == "store" else "return_request"
            events.append(_Event(placed + dt.timedelta(days=rng.randint(3, 15)), kind))
        elif status == Order.Status.COMPLETED:
            roll = rng.random()
            later = placed + dt.timedelta(days=rng.randint(1, 14))
            if order["total_amount"] > 1500 and roll < 0.5:
                events.append(
                    _Event(placed + dt.timedelta(hours=rng.randint(2, 30)), "invoice_sent")
                )
            elif order["total_amount"] > 1500 and roll < 0.65:
                events.append(_Event(later, "satisfaction"))
            elif roll < 0.06:
                events.append(_Event(later, "damaged"))
            elif roll < 0.1:
                events.append(_Event(later, "chat_parcel"))
            elif roll < 0.14:
                events.append(_Event(later, "invoice_fix"))
        return events

    def user_for(self, kind: Kind) -> User:
        manager_share = 0.4 if kind.channel == "meeting" and self.kind == "organization" else 0.12
        return self.manager if self.rng.random() < manager_share else self.owner

    def fields(self, event: _Event) -> dict[str, Any]:
        kind, rng, lang = KINDS[event.kind], self.rng, self.language
        outcome = rng.choice(kind.outcomes)
        fields = {
            "channel": kind.channel,
            "direction": kind.direction,
            "occurred_at": event.at,
            "user": self.user_for(kind),
            "summary": kind.summary[lang],
            "reason": REASONS[kind.reason][lang],
            "outcome": OUTCOMES[outcome][lang],
            "sentiment": rng.choice(kind.sentiments),
            "device": rng.choice(DEVICES) if kind.device else "",
        }
        if self.organization is not None and rng.random() < 0.3:
            fields["organization"] = self.organization
        return fields

    # --- answers ------------------------------------------------------------------------

    def answer_value(self, question: Question) -> Any:
        rng = self.rng
        if question.key in TEXT_ANSWERS:
            return rng.choice(TEXT_ANSWERS[question.key])[self.language]
        if question.key == "employees":
            return max(2, min(2500, round(rng.lognormvariate(3.2, 1.1))))
        if question.key == "annual_budget":
            return rng.randint(4, 240) * 500
        if question.key == "contract_end":
            return (self.now + dt.timedelta(days=rng.randint(20, 400))).date().isoformat()
        if question.key == "interests" and self.orders:
            bought = [o["category"] for o in self.orders if o["category"] in question.choices]
            if bought:
                return rng.choice(bought)
        return rng.choice(question.choices)

    def plan_answers(self, questions: Sequence[Question], events: list[_Event]) -> list[_Event]:
        """Attach answers to a conversation (or to a web form); returns web-form answers as
        events of their own."""
        rng = self.rng
        if not self.rich and rng.random() > 0.45:
            return []
        bank = [q for q in questions if applies_to(q, self.customer, set())]
        if not bank:
            return []
        asked = bank[: len(bank) if self.rich else rng.randint(1, min(4, len(bank)))]
        answers = [(q, self.answer_value(q), rng.random() < 0.12) for q in asked]
        answers = [(q, None if skipped else v, skipped) for q, v, skipped in answers]
        spoken = [e for e in events if KINDS[e.kind].channel in ("phone", "meeting", "store")]
        if spoken and rng.random() < 0.6:
            rng.choice(spoken).answers = answers
            forms = []
        else:
            forms = [_Event(self.moment(self.start, self.now), "", answers)]
        employees = next((a for a in answers if a[0].key == "employees" and not a[2]), None)
        if self.rich and employees is not None:
            # Asked again after a year: the history shows the older, smaller answer.
            at = self.moment(self.now - dt.timedelta(days=800), self.now - dt.timedelta(days=420))
            forms.append(_Event(at, "", [(employees[0], max(2, employees[1] * 2 // 3), False)]))
        return forms


def _handle(user: User, users: Sequence[User]) -> str:
    """How a note mentions `user`: @ and the part of the email before the @, or the whole
    email when another user shares that part."""
    local = user.email.split("@", 1)[0].lower()
    shared = sum(1 for u in users if u.email.split("@", 1)[0].lower() == local)
    return "@" + (local if shared == 1 else user.email)


def _notes(story: _Story, backdate: _Backdate, users: Sequence[User]) -> int:
    rng, now = story.rng, story.now
    count = rng.randint(6, 9) if story.rich else int(rng.random() < 0.12)
    for _ in range(count):
        author = story.manager if rng.random() < 0.3 else story.owner
        colleague = story.owner if author.pk == story.manager.pk else story.manager
        if colleague.pk != author.pk and rng.random() < 0.6:
            body = rng.choice(NOTES_WITH_MENTION).format(m=_handle(colleague, users))
        else:
            body = rng.choice(NOTES)
        recent = rng.random() < 0.35
        when = story.moment(now - dt.timedelta(days=6) if recent else story.start, now)
        note = note_add(actor=author, customer=story.customer, body=body)
        note.created_at = note.updated_at = when
        backdate.notes.append(note)
        backdate.notified(when, now)
    return count


def _end_of_day(now: dt.datetime) -> dt.datetime:
    """Where "due today" ends, as the task list reckons it."""
    tomorrow = timezone.localtime(now).date() + DAY
    return dt.datetime.combine(tomorrow, dt.time.min, tzinfo=timezone.get_current_timezone())


def _due(story: _Story, state: str) -> dt.datetime:
    rng, now = story.rng, story.now
    if state == "today":
        return now + (_end_of_day(now) - now) * rng.uniform(0.3, 0.9)
    if state == "overdue":
        day = now - dt.timedelta(days=rng.randint(1, 20))
    elif state == "upcoming":
        day = now + dt.timedelta(days=rng.randint(1, 21))
    else:  # done, cancelled
        day = story.moment(story.start + dt.timedelta(days=3), now - 2 * DAY)
    due = day.replace(hour=rng.randint(9, 17), minute=rng.choice((0, 15, 30, 45)))
    return due.replace(second=0, microsecond=0)


def _task(story: _Story, state: str, backdate: _Backdate, *, owed: bool = False) -> None:
    rng, now = story.rng, story.now
    fits = [
        (t, d) for t, d, who in TASKS if who in ("", story.customer.lifecycle_stage, story.kind)
    ]
    fresh = [(t, d) for t, d in fits if t not in story.tasked]
    title, description = rng.choice(fresh or fits)
    story.tasked.add(title)
    due = _due(story, state)
    remind = rng.choice((None, due - DAY, due - dt.timedelta(hours=2)))
    for_manager = story.kind == "organization" and rng.random() < 0.2
    assignee = story.manager if for_manager and not owed else story.owner
    creator = story.manager if rng.random() < 0.3 else assignee
    task = task_create(
        actor=creator,
        title=title,
        customer=story.customer,
        description=description,
        due_at=due,
        remind_at=remind,
        assignee=assignee,
        priority=rng.choices(list(Task.Priority.values), (2, 6, 3, 1))[0],
    )
    # Set up a while ago (not all at the moment the demo loads), days before it falls due.
    recently = now - dt.timedelta(hours=rng.randint(2, 96))
    created = max(story.start, min(recently, due - dt.timedelta(days=rng.randint(1, 12))))
    backdate.notified(created, now)
    if state in ("done", "cancelled"):
        status = Task.Status.DONE if state == "done" else Task.Status.CANCELLED
        task = task_update(actor=assignee, task=task, status=status)
        task.completed_at = max(created, due - dt.timedelta(hours=rng.randint(0, 48)))
    if task.remind_at is not None and task.remind_at <= now:
        backdate.reminded.append(task.pk)  # its reminder went out back then
    task.created_at = task.updated_at = created
    backdate.tasks.append(task)


def _tasks(story: _Story, backdate: _Backdate, owed: list[str]) -> int:
    rng = story.rng
    if story.rich:
        states = ["done"] * 5 + ["cancelled", "overdue", "today", "upcoming", "upcoming"]
    elif rng.random() < 0.3:
        states = rng.choices(
            ["done", "cancelled", "overdue", "today", "upcoming"], (40, 5, 20, 12, 23)
        )
    else:
        states = []
    for state in states:
        _task(story, state, backdate)
    if owed:  # the first of this owner's customers: what their task list lacks
        _task(story, owed.pop(0), backdate, owed=True)
        return len(states) + 1
    return len(states)


def _owed(now: dt.datetime) -> defaultdict[int, list[str]]:
    """Per user, the kinds of open task (overdue, due today, upcoming) they have none of
    yet: each demo user's task list shows all three."""
    end_of_day = _end_of_day(now)
    states = {
        "overdue": Q(due_at__lt=now),
        "today": Q(due_at__gte=now, due_at__lt=end_of_day),
        "upcoming": Q(due_at__gte=end_of_day),
    }
    have = {
        row["assignee_id"]: row
        for row in Task.objects.filter(status=Task.Status.OPEN, assignee__isnull=False)
        .values("assignee_id")
        .annotate(**{state: Count("pk", filter=q) for state, q in states.items()})
        .order_by()
    }
    owed: defaultdict[int, list[str]] = defaultdict(list)
    for user in User.objects.filter(is_active=True).values_list("pk", flat=True):
        owed[user] = [s for s in states if not have.get(user, {}).get(s)]
    return owed


@transaction.atomic
def demo_history_load(
    customers: Sequence[tuple[str, Customer]],
    *,
    owner_for: Callable[[Customer], User],
    manager: User,
    colleagues: Sequence[User],
    rich: frozenset[int] = frozenset(),
    now: dt.datetime | None = None,
    seed: int = 7,
) -> HistoryReport:
    """The conversation with the demo customers `(demo id, customer)` that have none yet:
    interactions (around their orders, which load first), answers, notes and tasks."""
    now = now or timezone.now()
    report = HistoryReport()
    questions, report.questions_added = demo_questions_load()
    bank = sorted(questions.values(), key=lambda q: (-q.priority, q.pk))
    bank = [q for q in bank if q.active]
    ids = [c.pk for _key, c in customers]
    done = set(
        Interaction.objects.filter(customer_id__in=ids, external_id__startswith="demo-")
        .values_list("customer_id", flat=True)
        .distinct()
    )
    pending = [(key, c) for key, c in customers if c.pk not in done]
    if not pending:
        return report
    pending_ids = [c.pk for _key, c in pending]
    categories = dict(
        OrderLine.objects.filter(order__customer_id__in=pending_ids).values_list(
            "order_id", "product__category"
        )
    )
    orders: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rows = Order.objects.filter(customer_id__in=pending_ids).order_by("placed_at", "pk")
    for row in rows.values("pk", "customer_id", "placed_at", "status", "channel", "total_amount"):
        row["category"] = categories.get(row["pk"], "")
        orders[row["customer_id"]].append(row)
    memberships: dict[int, Customer] = {}
    people = Membership.objects.filter(person_id__in=pending_ids).select_related("organization")
    for membership in people:
        memberships.setdefault(membership.person_id, membership.organization)
    backdate = _Backdate(
        last_notification=Notification.objects.order_by("-pk").values_list("pk", flat=True).first()
        or 0
    )
    owed = _owed(now)
    for key, customer in pending:
        owner = owner_for(customer)
        story = _Story(
            key,
            customer,
            seed=seed,
            now=now,
            rich=customer.pk in rich,
            owner=owner,
            manager=manager,
            orders=orders[customer.pk],
            organization=memberships.get(customer.pk),
        )
        events = story.events()
        forms = story.plan_answers(bank, events)
        for number, event in enumerate(events, start=1):
            fields = story.fields(event)
            actor = fields["user"]
            external_id = f"{key}-i{number:04d}"
            if event.answers:
                interaction_with_answers(
                    actor=actor,
                    customer=customer,
                    answers=event.answers,
                    external_id=external_id,
                    **fields,
                )
                report.answers_added += len(event.answers)
            else:
                interaction_log(actor=actor, customer=customer, external_id=external_id, **fields)
        report.interactions_added += len(events)
        for form in forms:
            for question, value, skipped in form.answers:
                answer_record(
                    actor=owner,
                    customer=customer,
                    question=question,
                    value=value,
                    skipped=skipped,
                    channel="web",
                    answered_at=form.at,
                )
                report.answers_added += 1
        report.notes_added += _notes(story, backdate, colleagues)
        report.tasks_added += _tasks(story, backdate, owed[owner.pk])
    backdate.apply()
    tasks_mark_reminded(backdate.reminded, now)
    return report
