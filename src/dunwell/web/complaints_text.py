"""The complaint pages' words in zh-CN and en: the register's categories, statuses,
channels and escalation routes, the compliance officer's pages and the portal's
complaint form (shared by both, so a borrower and the officer read the same labels)."""

from __future__ import annotations

from dunwell.complaints.model import Category, ReceivedVia, Status
from dunwell.web.i18n import add_messages

#: The register's categories and statuses, in the domain's order.
CATEGORIES = tuple(c.value for c in Category)
STATUSES = tuple(s.value for s in Status)

_CATEGORY = {
    Category.CONDUCT: ("催收人员的言行", "How our staff behaved"),
    Category.FEES_AND_CHARGES: ("费用和收费", "Fees and charges"),
    Category.AMOUNT_DISPUTED: ("欠款金额有异议", "The amount owed is wrong"),
    Category.DEBT_NOT_MINE: ("这笔欠款不是我的", "This debt is not mine"),
    Category.PRIVACY: ("个人信息和隐私", "Personal data and privacy"),
    Category.CONTACT_FREQUENCY: ("联系过于频繁", "Contacted too often"),
    Category.THIRD_PARTY_CONTACT: ("联系了我的家人、朋友或同事",
                                   "Contacted my family, friends or colleagues"),
    Category.OTHER: ("其他", "Something else"),
}
_STATUS = {
    Status.RECEIVED: ("已收到", "Received"),
    Status.ACKNOWLEDGED: ("已确认受理", "Acknowledged"),
    Status.FINAL_RESPONSE: ("已正式答复", "Final response sent"),
    Status.ESCALATED: ("已转交外部机构", "Escalated"),
    Status.CLOSED: ("已结案", "Closed"),
}
_CHANNEL = {
    ReceivedVia.PORTAL: ("网上服务", "Portal"),
    ReceivedVia.CALL: ("电话", "Call"),
    ReceivedVia.LETTER: ("信件", "Letter"),
    ReceivedVia.VISIT: ("上门外访", "Visit"),
    ReceivedVia.EMAIL: ("电子邮件", "E-mail"),
    ReceivedVia.OTHER: ("其他", "Other"),
}
#: Escalation routes by jurisdiction and key (the domain's ``complaints.rules.TERMS``).
_ROUTE = {
    "CN-NIFA.regulator": ("国家金融监督管理总局消费者投诉热线",
                          "National Financial Regulatory Administration hotline"),
    "CN-NIFA.pboc": ("中国人民银行或当地金融监管部门",
                     "People's Bank of China or the local financial regulator"),
    "UK-FCA.ombudsman": ("英国金融申诉服务机构（FOS）", "Financial Ombudsman Service"),
    "UK-FCA.regulator": ("英国金融行为监管局（FCA）", "Financial Conduct Authority"),
    "US-RegF.regulator": ("美国消费者金融保护局（CFPB）",
                          "Consumer Financial Protection Bureau"),
    "US-RegF.attorney_general": ("借款人所在州的总检察长", "The state attorney general"),
}

add_messages({f"complaints.category.{k.value}": {"zh-CN": zh, "en": en}
              for k, (zh, en) in _CATEGORY.items()})
add_messages({f"complaints.status.{k.value}": {"zh-CN": zh, "en": en}
              for k, (zh, en) in _STATUS.items()})
add_messages({f"complaints.channel.{k.value}": {"zh-CN": zh, "en": en}
              for k, (zh, en) in _CHANNEL.items()})
add_messages({f"complaints.route.{k}": {"zh-CN": zh, "en": en}
              for k, (zh, en) in _ROUTE.items()})

add_messages({
    # the compliance officer's queue
    "complaints.title": {"zh-CN": "投诉处理队列", "en": "Complaints queue"},
    "complaints.today": {"zh-CN": "今天：{day}。逾期未答复：{count} 件。",
                         "en": "Today: {day}. Overdue without an answer: {count}."},
    "complaints.filter.status": {"zh-CN": "状态", "en": "Status"},
    "complaints.filter.category": {"zh-CN": "类别", "en": "Category"},
    "complaints.filter.all": {"zh-CN": "全部", "en": "All"},
    "complaints.filter.submit": {"zh-CN": "筛选", "en": "Filter"},
    "complaints.empty": {"zh-CN": "没有符合条件的投诉。", "en": "No complaints match."},
    "complaints.col.id": {"zh-CN": "编号", "en": "No."},
    "complaints.col.borrower": {"zh-CN": "借款人", "en": "Borrower"},
    "complaints.col.category": {"zh-CN": "类别", "en": "Category"},
    "complaints.col.channel": {"zh-CN": "渠道", "en": "Channel"},
    "complaints.col.received": {"zh-CN": "收到日期", "en": "Received"},
    "complaints.col.deadline": {"zh-CN": "答复期限", "en": "Answer by"},
    "complaints.col.days_left": {"zh-CN": "剩余天数", "en": "Days left"},
    "complaints.col.status": {"zh-CN": "状态", "en": "Status"},
    "complaints.overdue": {"zh-CN": "已逾期", "en": "overdue"},
    "complaints.dispute": {"zh-CN": "争议", "en": "dispute"},
    "complaints.pauses": {"zh-CN": "暂停催收", "en": "collection paused"},
    # one complaint
    "complaints.detail_title": {"zh-CN": "投诉", "en": "Complaint"},
    "complaints.heading": {"zh-CN": "投诉 {id}", "en": "Complaint {id}"},
    "complaints.back": {"zh-CN": "返回投诉队列", "en": "Back to the queue"},
    "complaints.error_title": {"zh-CN": "无法打开", "en": "Not available"},
    "complaints.facts": {"zh-CN": "概况", "en": "Summary"},
    "complaints.fact.borrower": {"zh-CN": "借款人", "en": "Borrower"},
    "complaints.fact.jurisdiction": {"zh-CN": "适用规则", "en": "Rules"},
    "complaints.fact.case": {"zh-CN": "催收案件", "en": "Collection case"},
    "complaints.fact.acknowledge_by": {"zh-CN": "确认受理期限", "en": "Acknowledge by"},
    "complaints.fact.answer_by": {"zh-CN": "正式答复期限", "en": "Final answer by"},
    "complaints.fact.days_left": {"zh-CN": "剩余天数", "en": "Days left"},
    "complaints.fact.source": {"zh-CN": "期限依据", "en": "Deadline source"},
    "complaints.fact.escalated_to": {"zh-CN": "已转交", "en": "Escalated to"},
    "complaints.fact.none": {"zh-CN": "无", "en": "none"},
    "complaints.paused_note": {
        "zh-CN": "这是对欠款的争议：在正式答复（核实）或结案之前，催收联系暂停。",
        "en": "This disputes the debt: collection contacts are paused until the final "
              "response (the verification) or the closing."},
    "complaints.text": {"zh-CN": "投诉内容", "en": "What the borrower said"},
    "complaints.answer_sent": {"zh-CN": "正式答复", "en": "Final response"},
    "complaints.timeline": {"zh-CN": "处理记录（最早在前）", "en": "Timeline (oldest first)"},
    "complaints.col.when": {"zh-CN": "时间（UTC）", "en": "When (UTC)"},
    "complaints.col.what": {"zh-CN": "事项", "en": "What"},
    "complaints.col.who": {"zh-CN": "经办", "en": "By"},
    "complaints.col.note": {"zh-CN": "说明", "en": "Note"},
    "complaints.actions": {"zh-CN": "处理", "en": "Act on it"},
    "complaints.read_only": {"zh-CN": "只有合规专员可以处理投诉。",
                             "en": "Only a compliance officer acts on complaints."},
    "complaints.no_actions": {"zh-CN": "此投诉已结案，无需再处理。",
                              "en": "This complaint is closed; nothing is left to do."},
    "complaints.note": {"zh-CN": "备注（可选）", "en": "Note (optional)"},
    "complaints.acknowledge.title": {"zh-CN": "确认受理", "en": "Acknowledge"},
    "complaints.acknowledge.submit": {"zh-CN": "确认受理", "en": "Acknowledge"},
    "complaints.answer.title": {"zh-CN": "正式答复", "en": "Final response"},
    "complaints.answer.text": {"zh-CN": "答复内容（将发给借款人）",
                               "en": "The response (sent to the borrower)"},
    "complaints.answer.submit": {"zh-CN": "发送正式答复", "en": "Send the final response"},
    "complaints.escalate.title": {"zh-CN": "转交外部机构", "en": "Escalate"},
    "complaints.escalate.to": {"zh-CN": "转交给", "en": "Refer to"},
    "complaints.escalate.pick": {"zh-CN": "请选择", "en": "Choose one"},
    "complaints.escalate.submit": {"zh-CN": "记录转交", "en": "Record the referral"},
    "complaints.close.title": {"zh-CN": "结案", "en": "Close"},
    "complaints.close.submit": {"zh-CN": "结案", "en": "Close the complaint"},
    "complaints.refused": {"zh-CN": "未保存：{reason}", "en": "Not saved: {reason}"},
    "complaints.form.choose": {"zh-CN": "请从列表中选择。", "en": "Choose one from the list."},
    "complaints.form.too_long": {"zh-CN": "内容过长，最多 4000 个字符。",
                                 "en": "That is too long: at most 4,000 characters."},
    "complaints.done.acknowledge": {"zh-CN": "已确认受理。", "en": "Acknowledged."},
    "complaints.done.answer": {"zh-CN": "正式答复已记录。",
                               "en": "The final response is recorded."},
    "complaints.done.escalate": {"zh-CN": "转交已记录。", "en": "The referral is recorded."},
    "complaints.done.close": {"zh-CN": "投诉已结案。", "en": "The complaint is closed."},
    "complaints.event.received": {"zh-CN": "收到投诉", "en": "Received"},
    # a complaint's line on the collector's case timeline
    "work.kind.complaint": {"zh-CN": "投诉", "en": "complaint"},
    # the borrower's portal
    "portal.nav.complaints": {"zh-CN": "投诉", "en": "Complaints"},
    "portal.help.complaints": {"zh-CN": "对我们的服务不满意？提出投诉",
                               "en": "Not happy with us? Make a complaint"},
    "portal.complaints.title": {"zh-CN": "我的投诉", "en": "My complaints"},
    "portal.complaints.intro": {
        "zh-CN": "告诉我们哪里做得不好。我们会在下面列出的期限前给您正式答复。"
                 "如果您认为欠款不是您的或金额有误，在答复之前我们会暂停催收。",
        "en": "Tell us what went wrong. We will give you a final answer by the date shown "
              "below. If you say the debt is not yours or the amount is wrong, we pause "
              "collection until we have answered."},
    "portal.complaints.new": {"zh-CN": "提出新的投诉", "en": "Make a complaint"},
    "portal.complaints.category": {"zh-CN": "投诉类别", "en": "What is it about?"},
    "portal.complaints.pick": {"zh-CN": "请选择", "en": "Choose one"},
    "portal.complaints.text": {"zh-CN": "具体情况", "en": "What happened"},
    "portal.complaints.text_hint": {"zh-CN": "请写明发生了什么、时间，以及您希望我们怎么做。",
                                    "en": "Say what happened, when, and what you would like "
                                          "us to do."},
    "portal.complaints.case": {"zh-CN": "相关催收案件（可选）",
                               "en": "The collection case it is about (optional)"},
    "portal.complaints.no_case": {"zh-CN": "不涉及具体案件", "en": "None in particular"},
    "portal.complaints.case_label": {"zh-CN": "案件 {id}（{day} 开始）",
                                     "en": "Case {id} (opened {day})"},
    "portal.complaints.submit": {"zh-CN": "提交投诉", "en": "Send the complaint"},
    "portal.complaints.mine": {"zh-CN": "您的投诉", "en": "Your complaints"},
    "portal.complaints.none": {"zh-CN": "您还没有提出过投诉。",
                               "en": "You have not made a complaint."},
    "portal.complaints.received": {"zh-CN": "提交日期", "en": "Sent"},
    "portal.complaints.answer_by": {"zh-CN": "最迟答复日期", "en": "We will answer by"},
    "portal.complaints.answered_on": {"zh-CN": "答复日期", "en": "Answered on"},
    "portal.complaints.answer": {"zh-CN": "我们的答复", "en": "Our answer"},
    "portal.complaints.paused": {"zh-CN": "答复前催收已暂停", "en": "Collection is paused "
                                                              "until we answer"},
    "portal.complaints.escalate_hint": {
        "zh-CN": "如果您对我们的答复不满意，或到期未收到答复，可以向外部机构投诉：",
        "en": "If you are not happy with our answer, or have none by the date shown, you "
              "can take your complaint to:"},
    "portal.notice.complaint": {"zh-CN": "已收到您的投诉，我们会在期限前答复您。",
                                "en": "We have your complaint and will answer by the date "
                                      "shown."},
    "portal.complaints.err.required": {"zh-CN": "请填写此项。", "en": "Please fill this in."},
    "portal.complaints.err.choose": {"zh-CN": "请从列表中选择一项。",
                                     "en": "Please choose one from the list."},
    "portal.complaints.err.too_long": {"zh-CN": "内容过长，最多 4000 个字。",
                                       "en": "That is too long: at most 4,000 characters."},
    "portal.complaints.err.case": {"zh-CN": "请从列表中选择您自己的案件，或选择“不涉及具体案件”。",
                                   "en": "Choose one of your own cases from the list, or "
                                         "none."},
    "portal.complaints.err.other": {"zh-CN": "未能提交，请稍后再试。没有保存任何内容。",
                                    "en": "That could not be sent and nothing was saved; "
                                          "please try again later."},
})
