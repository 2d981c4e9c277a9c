"""The portal's words in zh-CN and en: page texts, the plain-words next steps, and the
reader's message for each error code a portal form can meet (any other code reads
as a general "could not be done" with nothing saved)."""

from __future__ import annotations

from dunwell.negotiation.model import HardshipReason
from dunwell.web.i18n import add_messages

#: The hardship reasons the plan form offers, in its order.
REASONS = tuple(r.value for r in (HardshipReason.FAMILY_EMERGENCY, HardshipReason.ILLNESS,
                                  HardshipReason.BUSINESS_DOWNTURN, HardshipReason.JOB_LOSS,
                                  HardshipReason.OTHER))

_ERRORS: dict[str, dict[str, str]] = {
    "amount_must_be_given": {"zh-CN": "请输入金额，例如 500.00。",
                             "en": "Type the amount, for example 500.00."},
    "amount_must_be_decimal": {"zh-CN": "金额格式不对，请写成 500.00 这样。",
                               "en": "Write the amount like 500.00."},
    "amount_must_fit_minor_unit": {"zh-CN": "金额最多保留两位小数。",
                                   "en": "Use at most two decimal places."},
    "amount_must_be_within_limits": {"zh-CN": "金额超出了允许的范围。",
                                     "en": "That amount is outside what can be paid."},
    "payment_amount_must_be_positive": {"zh-CN": "金额必须大于零。",
                                        "en": "The amount must be more than zero."},
    "payment_amount_must_be_payable": {
        "zh-CN": "现在最多可还 {payable}（已到期部分和下一期）；"
                 "如要一次结清，请输入结清金额 {payoff}。",
        "en": "You can pay at most {payable} now (what is due and the next instalment); "
              "to pay the loan off, enter the payoff amount {payoff}."},
    "loan_must_be_open": {"zh-CN": "这笔借款已结清，无需再还款。",
                          "en": "This loan is closed; there is nothing to pay."},
    "account_must_be_valid": {"zh-CN": "卡号或账号应为 12 至 19 位数字，请核对。",
                              "en": "The card or account number should be 12 to 19 digits; "
                                    "please check it."},
    "charge_must_be_captured": {"zh-CN": "支付被拒绝，未扣任何款项。请换一张卡或账户再试。",
                                "en": "The payment was declined and nothing was taken. Try "
                                      "another card or account."},
    "payment_form_key_must_be_valid": {"zh-CN": "付款页面已过期，请重新打开。",
                                       "en": "The payment page has expired; open it again."},
    "payment_gateway_must_be_configured": {
        "zh-CN": "暂时无法在线付款，请按信中的银行账户转账。",
        "en": "Online payment is not available right now; pay by bank transfer as your "
              "letter explains."},
    "portal_amount_required": {"zh-CN": "此项必填，例如 6000.00。",
                               "en": "This is required, for example 6000.00."},
    "hardship_amount_must_be_in_range": {"zh-CN": "金额不能为负数，也不能过大。",
                                         "en": "The amount must not be negative or too large."},
    "reason_must_be_known": {"zh-CN": "请从列表中选择原因。",
                             "en": "Choose a reason from the list."},
    "portal_case_must_be_open": {
        "zh-CN": "您目前没有逾期处理中的账户，无需申请还款方案。如还款有困难，请致电我们。",
        "en": "You have no overdue account being followed up, so there is nothing to plan. "
              "If a payment is hard to make, call us."},
    "case_must_not_have_active_plan": {"zh-CN": "您已有一个还款方案，请按方案还款。",
                                       "en": "You already have a repayment plan; keep to "
                                             "its payments."},
    "offer_needs_outstanding_debt": {"zh-CN": "这笔借款已无欠款，无需方案。",
                                     "en": "Nothing is owed on this loan, so no plan is "
                                           "needed."},
    "plan_consent_must_be_given": {"zh-CN": "请勾选同意新的还款计划后再确认。",
                                   "en": "Tick the box to agree to the new schedule first."},
    "offer_must_be_approved": {"zh-CN": "这个方案还在等待我们的工作人员审批，审批后即可接受。",
                               "en": "This option is waiting for approval by our staff; you "
                                     "can accept it once it is approved."},
    "offer_must_be_unused": {"zh-CN": "这个方案已不能再使用，请重新申请。",
                             "en": "This option can no longer be used; ask for a plan again."},
    "offer_must_not_be_expired": {"zh-CN": "这个方案已过期，请重新申请。",
                                  "en": "This option has expired; ask for a plan again."},
    "offer_must_exist": {"zh-CN": "找不到这个方案。", "en": "That option was not found."},
    "plan_must_cover_debt": {"zh-CN": "方案提出后欠款有变化（例如收到了还款），请重新申请。",
                             "en": "What you owe changed since this option was made (a "
                                   "payment came in, for example); ask for a plan again."},
    "time_must_be_hh_mm": {"zh-CN": "请写成 09:00 这样的时间，或留空。",
                           "en": "Write a time like 09:00, or leave it empty."},
    "language_must_be_offered": {"zh-CN": "请从列表中选择语言。",
                                 "en": "Choose a language from the list."},
    "channel_must_be_known": {"zh-CN": "请只选择列表中的方式。",
                              "en": "Choose only the ways listed."},
    "other": {"zh-CN": "这项操作没有完成，什么也没有保存。请检查后再试，或致电我们。",
              "en": "That could not be done and nothing was saved. Check and try again, or "
                    "call us."},
}


def error_key(code: str) -> str:
    """The message id for an error ``code`` a portal form met."""
    return f"portal.err.{code if code in _ERRORS else 'other'}"


add_messages({f"portal.err.{code}": texts for code, texts in _ERRORS.items()})

add_messages({
    "portal.title": {"zh-CN": "我的借款", "en": "My loans"},
    "portal.nav.label": {"zh-CN": "借款人服务", "en": "Your account"},
    "portal.nav.loans": {"zh-CN": "借款", "en": "Loans"},
    "portal.nav.plan": {"zh-CN": "还款方案", "en": "Repayment plan"},
    "portal.nav.preferences": {"zh-CN": "联系偏好", "en": "Contact preferences"},
    "portal.nav.learn": {"zh-CN": "了解更多", "en": "Learn"},
    "portal.nav.verify": {"zh-CN": "核验信件", "en": "Check a letter"},
    "portal.back": {"zh-CN": "返回我的借款", "en": "Back to my loans"},
    "portal.no_loans": {"zh-CN": "您目前没有未结清的借款。", "en": "You have no open loans."},
    "portal.missing.title": {"zh-CN": "找不到这笔借款", "en": "Loan not found"},
    "portal.missing.text": {"zh-CN": "您的账户下没有这笔借款。",
                            "en": "There is no such loan in your account."},
    "portal.loan.heading": {"zh-CN": "借款 {id}", "en": "Loan {id}"},
    "portal.loan.title": {"zh-CN": "借款详情", "en": "Loan details"},
    "portal.loan.schedule_link": {"zh-CN": "查看还款计划", "en": "See the schedule"},
    "portal.status.disbursed": {"zh-CN": "已放款", "en": "Disbursed"},
    "portal.status.current": {"zh-CN": "正常", "en": "Up to date"},
    "portal.status.overdue": {"zh-CN": "逾期", "en": "Overdue"},
    "portal.status.restructured": {"zh-CN": "已调整还款计划", "en": "On new terms"},
    "portal.status.paid_off": {"zh-CN": "已结清", "en": "Paid off"},
    "portal.status.charged_off": {"zh-CN": "已核销", "en": "Written off"},
    "portal.status.approved": {"zh-CN": "已批准", "en": "Approved"},
    "portal.outstanding": {"zh-CN": "未还总额", "en": "Still to pay"},
    "portal.next_due": {"zh-CN": "下次还款", "en": "Next payment"},
    "portal.none_due": {"zh-CN": "暂无", "en": "None"},
    "portal.days_late": {"zh-CN": "逾期天数", "en": "Days late"},
    "portal.overdue.heading": {"zh-CN": "逾期金额构成", "en": "What is overdue"},
    "portal.overdue.total": {"zh-CN": "逾期合计", "en": "Overdue in all"},
    "portal.principal": {"zh-CN": "本金", "en": "Principal"},
    "portal.interest": {"zh-CN": "利息", "en": "Interest"},
    "portal.penalty": {"zh-CN": "罚息", "en": "Penalty"},
    "portal.fees": {"zh-CN": "费用", "en": "Fees"},
    "portal.next.heading": {"zh-CN": "接下来会怎样", "en": "What happens next"},
    "portal.next.on_time": {"zh-CN": "您的还款正常。下次到期前我们会发提醒。",
                            "en": "You are up to date. We will send a reminder before your "
                                  "next payment is due."},
    "portal.next.reminders": {"zh-CN": "我们会通过短信或应用提醒您还款。",
                              "en": "We will send you reminders by text or in the app."},
    "portal.next.call": {"zh-CN": "我们的工作人员可能会致电，与您一起商量如何还款。",
                         "en": "Someone from our team may call to talk through how you can "
                               "pay."},
    "portal.next.letter": {"zh-CN": "我们会寄一封信，写明欠款金额和还款方式。",
                           "en": "We will send a letter setting out what is owed and how to "
                                 "pay."},
    "portal.next.plan_right": {"zh-CN": "如果还款有困难，您随时可以申请还款方案。",
                               "en": "If paying is hard, you have the right to ask for a "
                                     "repayment plan at any time."},
    "portal.next.on_plan": {"zh-CN": "您正在执行还款方案，请按方案按时还款。",
                            "en": "You are on a repayment plan: keep to its payments."},
    "portal.help.heading": {"zh-CN": "帮助", "en": "Help"},
    "portal.help.learn": {"zh-CN": "关于还款、罚息和您的权利的说明",
                          "en": "Guides to payments, charges and your rights"},
    "portal.help.verify": {"zh-CN": "核验我们寄给您的信件是否真实",
                           "en": "Check that a letter from us is genuine"},
    "portal.help.preferences": {"zh-CN": "设置我们如何、何时联系您",
                                "en": "Choose how and when we contact you"},
    "portal.payoff": {"zh-CN": "今日结清金额", "en": "To pay off today"},
    "portal.quote_date": {"zh-CN": "报价日期", "en": "Quote date"},
    "portal.payoff.note": {"zh-CN": "结清金额只计算到今天的利息，以后的利息不收取。",
                           "en": "The payoff amount counts interest only up to today; no "
                                 "later interest is charged."},
    "portal.schedule.heading": {"zh-CN": "还款计划", "en": "Schedule"},
    "portal.schedule.due": {"zh-CN": "到期日", "en": "Due"},
    "portal.schedule.paid": {"zh-CN": "已还", "en": "Paid"},
    "portal.schedule.outstanding": {"zh-CN": "未还", "en": "Outstanding"},
    "portal.schedule.late": {"zh-CN": "逾期", "en": "late"},
    "portal.pay.title": {"zh-CN": "还款", "en": "Make a payment"},
    "portal.pay.action": {"zh-CN": "立即还款", "en": "Pay now"},
    "portal.pay.amount": {"zh-CN": "还款金额（{currency}）", "en": "Amount ({currency})"},
    "portal.pay.amount_hint": {"zh-CN": "已填入当前应还金额，可以修改。",
                               "en": "We filled in what is due now; you can change it."},
    "portal.pay.review": {"zh-CN": "下一步：确认", "en": "Next: review"},
    "portal.pay.confirm_heading": {"zh-CN": "请确认这笔还款", "en": "Check your payment"},
    "portal.pay.you_pay": {"zh-CN": "您将支付", "en": "You pay"},
    "portal.pay.settles": {"zh-CN": "这笔钱将用于", "en": "This payment settles"},
    "portal.pay.settles_loan": {"zh-CN": "这笔还款将结清整笔借款。",
                                "en": "This payment pays the whole loan off."},
    "portal.pay.waterfall": {"zh-CN": "按顺序先还最早到期的期次（第 {instalments} 期）。",
                             "en": "The oldest instalments are settled first (instalment "
                                   "{instalments})."},
    "portal.pay.account": {"zh-CN": "银行卡号或账号", "en": "Card or account number"},
    "portal.pay.sandbox": {"zh-CN": "测试环境：可用 4242 4242 4242 4242。",
                           "en": "Test gateway: use 4242 4242 4242 4242."},
    "portal.pay.confirm": {"zh-CN": "确认付款", "en": "Pay"},
    "portal.pay.change": {"zh-CN": "修改金额", "en": "Change the amount"},
    "portal.notice.paid": {"zh-CN": "已收到您的还款，谢谢。回执会发送给您。",
                           "en": "Thank you: your payment is in. A receipt is on its way."},
    "portal.notice.replayed": {"zh-CN": "这笔还款之前已经收到，没有重复扣款。",
                               "en": "We already had this payment; you were not charged "
                                     "twice."},
    "portal.notice.offers": {"zh-CN": "已收到您的情况说明，下面是可选的方案。",
                             "en": "Thank you for telling us; here are your options."},
    "portal.notice.accepted": {"zh-CN": "您已接受还款方案，新的还款计划已生效。",
                               "en": "You accepted the plan; your new schedule is in place."},
    "portal.notice.preferences": {"zh-CN": "已保存您的联系偏好，我们会照此执行。",
                                  "en": "Your contact preferences are saved; we will keep "
                                        "to them."},
    "portal.plan.title": {"zh-CN": "还款方案", "en": "Repayment plan"},
    "portal.plan.action": {"zh-CN": "申请还款方案", "en": "Ask for a plan"},
    "portal.plan.intro": {"zh-CN": "告诉我们您每月的收入和必要开支，我们会给出您负担得起的方案。",
                          "en": "Tell us your monthly income and essential spending, and we "
                                "will show options you can afford."},
    "portal.plan.no_case": {"zh-CN": "您目前没有逾期处理中的账户，无需申请还款方案。",
                            "en": "You have no overdue account being followed up, so there is "
                                  "nothing to plan."},
    "portal.plan.active_heading": {"zh-CN": "您的还款方案", "en": "Your plan"},
    "portal.plan.active": {"zh-CN": "方案 {id}：{kind}，于 {first} 接受。",
                           "en": "Plan {id}: {kind}, accepted on {first}."},
    "portal.plan.offers_heading": {"zh-CN": "您可选的方案", "en": "Your options"},
    "portal.plan.months": {"zh-CN": "期数（月）", "en": "Months"},
    "portal.plan.monthly": {"zh-CN": "每月最多", "en": "Monthly, at most"},
    "portal.plan.total": {"zh-CN": "合计支付", "en": "Total you pay"},
    "portal.plan.waived": {"zh-CN": "减免", "en": "Waived"},
    "portal.plan.valid_until": {"zh-CN": "有效期至", "en": "Valid until"},
    "portal.plan.new_schedule": {"zh-CN": "新的还款计划", "en": "The new schedule"},
    "portal.plan.payment": {"zh-CN": "应还", "en": "Payment"},
    "portal.plan.consent": {
        "zh-CN": "我已阅读并同意新的还款计划：共 {months} 期，每月最多 {monthly}，合计 {total}。",
        "en": "I have read and agree to the new schedule: {months} payments of at most "
              "{monthly}, {total} in all."},
    "portal.plan.accept": {"zh-CN": "接受这个方案", "en": "Accept this plan"},
    "portal.plan.waiting": {"zh-CN": "等待审批：我们的工作人员审批后，您就可以在这里接受。",
                            "en": "Waiting for approval: once our staff approve it, you can "
                                  "accept it here."},
    "portal.plan.ask_heading": {"zh-CN": "告诉我们您的情况", "en": "Tell us your situation"},
    "portal.plan.reason": {"zh-CN": "原因", "en": "What happened"},
    "portal.plan.income": {"zh-CN": "每月收入（{currency}）",
                           "en": "Monthly income ({currency})"},
    "portal.plan.expenses": {"zh-CN": "每月必要开支（{currency}）",
                             "en": "Essential monthly spending ({currency})"},
    "portal.plan.other_debts": {"zh-CN": "每月其他还款（{currency}，可不填）",
                                "en": "Other debt payments a month ({currency}, optional)"},
    "portal.plan.vulnerable": {"zh-CN": "我的健康或生活状况让还款特别困难，希望得到更多照顾。",
                               "en": "My health or circumstances make this especially hard "
                                     "and I would like extra care."},
    "portal.plan.submit": {"zh-CN": "查看我的方案", "en": "See my options"},
    "portal.plan.letter_route": {"zh-CN": "收到了我们的信？也可以",
                                 "en": "Have a letter from us? You can also"},
    "portal.plan.letter_link": {"zh-CN": "用信件上的核验码申请",
                                "en": "ask with the code on the letter"},
    "portal.reason.family_emergency": {"zh-CN": "家庭变故", "en": "Family emergency"},
    "portal.reason.illness": {"zh-CN": "疾病", "en": "Illness"},
    "portal.reason.business_downturn": {"zh-CN": "生意下滑", "en": "Business downturn"},
    "portal.reason.job_loss": {"zh-CN": "失业", "en": "Lost my job"},
    "portal.reason.other": {"zh-CN": "其他", "en": "Something else"},
    "portal.kind.instalment_plan": {"zh-CN": "分期还款，利息冻结",
                                    "en": "Instalments, interest frozen"},
    "portal.kind.reduced_payments": {"zh-CN": "先少还，后补足", "en": "Smaller payments first"},
    "portal.kind.term_extension": {"zh-CN": "延长还款期限", "en": "A longer term"},
    "portal.kind.penalty_waiver": {"zh-CN": "分期还款，免除罚息",
                                   "en": "Instalments, penalty waived"},
    "portal.kind.penalty_interest_waiver": {"zh-CN": "分期还款，免除罚息和利息",
                                            "en": "Instalments, penalty and interest waived"},
    "portal.kind.settlement": {"zh-CN": "一次性结清（折扣）",
                               "en": "Settle in one payment at a discount"},
    "portal.prefs.title": {"zh-CN": "联系偏好", "en": "Contact preferences"},
    "portal.prefs.intro": {"zh-CN": "选择我们可以用哪些方式、在什么时间联系您（时区：{zone}）。",
                           "en": "Choose how and when we may contact you about your account "
                                 "(time zone: {zone})."},
    "portal.prefs.channels": {"zh-CN": "可以通过这些方式联系我", "en": "You may contact me by"},
    "portal.prefs.hours": {"zh-CN": "免打扰时间", "en": "Quiet hours"},
    "portal.prefs.before": {"zh-CN": "每天不早于（例如 09:00）",
                            "en": "Not before (for example 09:00)"},
    "portal.prefs.after": {"zh-CN": "每天不晚于（例如 20:00）",
                           "en": "Not after (for example 20:00)"},
    "portal.prefs.language": {"zh-CN": "消息和信件的语言", "en": "Language for messages and "
                                                          "letters"},
    "portal.prefs.save": {"zh-CN": "保存", "en": "Save"},
    "portal.channel.call": {"zh-CN": "电话", "en": "Phone calls"},
    "portal.channel.sms": {"zh-CN": "短信", "en": "Text messages"},
    "portal.channel.email": {"zh-CN": "电子邮件", "en": "E-mail"},
    "portal.channel.letter": {"zh-CN": "信件", "en": "Letters"},
    "portal.channel.visit": {"zh-CN": "上门拜访", "en": "Home visits"},
    "portal.lang.zh-CN": {"zh-CN": "中文", "en": "Chinese (中文)"},
    "portal.lang.en": {"zh-CN": "英文 (English)", "en": "English"},
})
