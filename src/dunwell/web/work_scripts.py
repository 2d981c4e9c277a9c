"""The call script a collector reads from, in the borrower's language (zh-CN or en),
for the kind of step due: a greeting, the identity check before anything about the
debt is said, the call's purpose, listening, the help on offer, and the reminder
that no threat of any kind is made. The section names are shown in the reader's
language; the lines themselves in the borrower's."""

from __future__ import annotations

from collections.abc import Mapping

from dunwell.web.i18n import add_messages

SECTIONS = ("greeting", "identity", "purpose", "listening", "help", "no_threats")

_COMMON: Mapping[str, Mapping[str, str]] = {
    "greeting": {"zh-CN": "您好，我是敦维的客户服务专员{agent}，请问现在方便通话吗？",
                 "en": "Hello, this is {agent} calling from Dunwell. Is now a good time "
                       "to talk?"},
    "identity": {"zh-CN": "为保护您的隐私，请先核对您的身份：请告诉我您的出生日期和身份证号后四位。"
                          "核实之前我不会提及任何账户信息。",
                 "en": "To protect your privacy, may I first confirm who I am speaking "
                       "with: your date of birth and the last four digits of your ID? I "
                       "will not discuss the account until then."},
    "listening": {"zh-CN": "请问您目前的情况怎么样？有什么困难可以告诉我，我会认真记录。",
                  "en": "How are things for you at the moment? Tell me about anything "
                        "that makes paying hard; I will note it carefully."},
    "no_threats": {"zh-CN": "（提示：不得威胁、恐吓、辱骂，不得联系无关第三方，不得虚构法律后果；"
                            "借款人要求停止联系时，记录并结束通话。）",
                   "en": "(Reminder: no threats, intimidation or insults; no third "
                         "parties; no invented legal consequences. If the borrower asks "
                         "us to stop, record it and end the call.)"},
}

_PURPOSE: Mapping[str, Mapping[str, str]] = {
    "call": {"zh-CN": "我来电是想提醒您，您的借款有一笔款项已逾期，想和您一起看看怎么安排还款。",
             "en": "I am calling because a payment on your loan is overdue, and I would "
                   "like to work out with you how it can be paid."},
    "negotiation_offer": {"zh-CN": "我来电是想向您介绍可以减轻还款压力的方案，例如分期或延期。",
                          "en": "I am calling to go through options that could make your "
                                "repayments easier, such as an instalment plan or more "
                                "time."},
}

_HELP: Mapping[str, Mapping[str, str]] = {
    "call": {"zh-CN": "如果一次还清有困难，我们可以讨论承诺还款日期，或根据您的收支做困难评估。",
             "en": "If paying it all at once is hard, we can agree a date you can pay "
                   "by, or assess your budget for a plan that fits."},
    "negotiation_offer": {"zh-CN": "方案都根据您的收支测算，您可以考虑后再决定；"
                                   "也可以获得免费的债务咨询。",
                          "en": "Every option is worked out from your budget; take your "
                                "time to decide. Free, independent debt advice is also "
                                "available."},
}


def script_for(step: str, language: str) -> list[tuple[str, str]]:
    """(section, line) for a step of kind ``step`` in ``language`` (zh-CN or en)."""
    lang = "zh-CN" if language == "zh-CN" else "en"
    kind = "negotiation_offer" if step == "negotiation_offer" else "call"
    lines = {**{k: v[lang] for k, v in _COMMON.items()}, "purpose": _PURPOSE[kind][lang],
             "help": _HELP[kind][lang]}
    return [(s, lines[s]) for s in SECTIONS]


add_messages({
    "work.script.greeting": {"zh-CN": "问候", "en": "Greeting"},
    "work.script.identity": {"zh-CN": "身份核实", "en": "Identity check"},
    "work.script.purpose": {"zh-CN": "来电目的", "en": "Purpose"},
    "work.script.listening": {"zh-CN": "倾听", "en": "Listening"},
    "work.script.help": {"zh-CN": "提供帮助", "en": "Offer help"},
    "work.script.no_threats": {"zh-CN": "禁止威胁", "en": "No threats"},
})
