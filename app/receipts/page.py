"""The public verification page a phone camera opens from the QR (``/verify?q=…``).

Plain server-rendered HTML that reads well on a small screen and needs no script, so it
works in any in-app browser (WeChat, Alipay, the camera's own). Every value is escaped.
The verdict is said in words (and a ✓ or ✗), never by its colour alone; ``elder=1`` gives
the 长辈版: larger type, wider line spacing, black on white (a link on the page switches).
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import urlencode

from app.receipts.amounts import yuan

HEADLINES = {
    "genuine": ("ok", "✓ 票据真实有效", "This receipt is genuine."),
    "voided": ("warn", "票据已红冲作废", "This receipt was voided by a red-letter receipt."),
    "tampered": ("bad", "✗ 票据信息不符，可能被篡改或伪造", "This receipt does not verify."),
    "unknown": ("bad", "未查到该票据", "No such receipt was issued."),
}

STYLE = """
body{font-family:-apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;margin:0;
background:#f4f5f7;color:#1d2129;font-size:1rem;line-height:1.5}main{max-width:32rem;
margin:0 auto;padding:1rem}h1{font-size:1.15rem;margin:.2rem 0 1rem}.verdict{border-radius:.6rem;
padding:1rem;margin-bottom:1rem;color:#fff}.ok{background:#17703d}.warn{background:#8f4f00}
.bad{background:#b42318}.verdict strong{font-size:1.2rem;display:block}table{width:100%;
border-collapse:collapse;background:#fff;border-radius:.6rem}th,td{padding:.5rem .7rem;
border-bottom:1px solid #e3e6eb;vertical-align:top;text-align:left}th{color:#5f6570;
font-weight:400;width:7rem}form{background:#fff;border-radius:.6rem;padding:1rem;margin-top:1rem}
label{display:block}input{width:100%;box-sizing:border-box;font-size:1rem;padding:.5rem;
margin:.3rem 0 .7rem;border:1px solid #8a9099;border-radius:.3rem;min-height:2.75rem}
button{width:100%;font-size:1rem;padding:.6rem;border:0;border-radius:.3rem;background:#1f3a60;
color:#fff;min-height:2.75rem}small{color:#5f6570}.mode{display:inline-block;
min-height:2.75rem;padding:.6rem 0;color:#1f3a60}
a:focus-visible,input:focus-visible,button:focus-visible{outline:3px solid #b26b00;
outline-offset:2px}
html.elder body{font-size:1.25rem;line-height:1.6;background:#fff;color:#000}
html.elder h1{font-size:1.5rem}html.elder .verdict strong{font-size:1.5rem}
html.elder input,html.elder button{font-size:1.25rem;min-height:3.5rem}
html.elder th,html.elder small{color:#1f2329}
html.elder table,html.elder form{border:1px solid #5f6570}
"""


def _rows(receipt: dict[str, Any], answer: dict[str, Any]) -> str:
    rows = [
        ("票据代码", receipt["code"]),
        ("票据号码", receipt["number"]),
        ("票据类型", "红字票据（红冲）" if receipt["kind"] == "red_letter" else "非税收入统一票据"),
        ("金额", f"¥{receipt['amount']}（{receipt['amount_uppercase']}）"),
        ("开票日期", receipt["issue_date"]),
        ("交款人", receipt["payer_masked"]),
        ("执收单位", receipt["agency_name"]),
        ("项目", "；".join(line["name"] for line in receipt["lines"])),
    ]
    if receipt.get("original_receipt_no"):
        rows.append(("原票据", receipt["original_receipt_no"]))
    if answer.get("red_letter_receipt_no"):
        rows.append(("红字票据", answer["red_letter_receipt_no"]))
    elif receipt["red_lettered_fen"]:
        rows.append(("已退付", f"¥{yuan(receipt['red_lettered_fen'])}（部分红冲）"))
    return "".join(
        f'<tr><th scope="row">{escape(k)}</th><td>{escape(str(v))}</td></tr>' for k, v in rows
    )


def _form(elder: bool) -> str:
    keep = '<input type="hidden" name="elder" value="1">' if elder else ""
    return (
        '<form method="get" action="/verify"><label>票据号码（18位：代码+号码）'
        '<input name="receipt_no" inputmode="numeric" maxlength="18" required></label>'
        '<label>校验码<input name="check_code" maxlength="6" required></label>'
        f"{keep}<button>查验</button></form>"
    )


def _switch(elder: bool, query: dict[str, str]) -> str:
    """The other mode, same receipt: a plain link, no script."""
    target = {k: v for k, v in query.items() if k != "elder"}
    if not elder:
        target["elder"] = "1"
    href = "/verify" + ("?" + urlencode(target) if target else "")
    label = "切换到标准版" if elder else "长辈版（大字）"
    return f'<p><a class="mode" href="{escape(href)}">{label}</a></p>'


def render(
    answer: dict[str, Any] | None,
    *,
    notice: str | None = None,
    elder: bool = False,
    query: dict[str, str] | None = None,
) -> str:
    body = _switch(elder, query or {})
    if notice:
        body += f'<div class="verdict bad" role="status"><strong>{escape(notice)}</strong></div>'
    if answer is not None:
        css, headline, english = HEADLINES[answer["status"]]
        body += (
            f'<div class="verdict {css}" role="status"><strong>{escape(headline)}</strong>'
            f'<span lang="en">{escape(english)}</span></div>'
        )
        if answer.get("receipt"):
            body += f"<table>{_rows(answer['receipt'], answer)}</table>"
    body += _form(elder)
    body += "<p><small>财政电子票据查验 · 二维码签名可用公开密钥离线验证</small></p>"
    return (
        f'<!doctype html><html lang="zh-CN"{" class=elder" if elder else ""}><head>'
        '<meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>财政电子票据查验</title><style>{STYLE}</style></head>"
        f"<body><main><h1>财政电子票据查验</h1>{body}</main></body></html>"
    )
