"""The public verification page a phone camera opens from the QR (``/verify?q=…``).

Plain server-rendered HTML that reads well on a small screen and needs no script, so it
works in any in-app browser (WeChat, Alipay, the camera's own). Every value is escaped.
"""

from __future__ import annotations

from html import escape
from typing import Any

from app.receipts.amounts import yuan

HEADLINES = {
    "genuine": ("ok", "✓ 票据真实有效", "This receipt is genuine."),
    "voided": ("warn", "票据已红冲作废", "This receipt was voided by a red-letter receipt."),
    "tampered": ("bad", "✗ 票据信息不符，可能被篡改或伪造", "This receipt does not verify."),
    "unknown": ("bad", "未查到该票据", "No such receipt was issued."),
}

STYLE = """
body{font-family:-apple-system,"PingFang SC","Noto Sans CJK SC",sans-serif;margin:0;
background:#f4f5f7;color:#1d2129}main{max-width:32rem;margin:0 auto;padding:1rem}
h1{font-size:1.15rem;margin:.2rem 0 1rem}.verdict{border-radius:.6rem;padding:1rem;
margin-bottom:1rem;color:#fff}.ok{background:#1f8a4c}.warn{background:#c77700}
.bad{background:#c0392b}.verdict strong{font-size:1.2rem;display:block}table{width:100%;
border-collapse:collapse;background:#fff;border-radius:.6rem}td{padding:.5rem .7rem;
border-bottom:1px solid #eee;vertical-align:top}td:first-child{color:#86909c;width:7rem}
form{background:#fff;border-radius:.6rem;padding:1rem;margin-top:1rem}input{width:100%;
box-sizing:border-box;font-size:1rem;padding:.5rem;margin:.3rem 0 .7rem;border:1px solid #ccc;
border-radius:.3rem}button{width:100%;font-size:1rem;padding:.6rem;border:0;
border-radius:.3rem;background:#1f3a60;color:#fff}small{color:#86909c}
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
    return "".join(f"<tr><td>{escape(k)}</td><td>{escape(str(v))}</td></tr>" for k, v in rows)


def _form() -> str:
    return (
        '<form method="get" action="/verify"><label>票据号码（18位：代码+号码）'
        '<input name="receipt_no" inputmode="numeric" maxlength="18" required></label>'
        '<label>校验码<input name="check_code" maxlength="6" required></label>'
        "<button>查验</button></form>"
    )


def render(answer: dict[str, Any] | None, *, notice: str | None = None) -> str:
    body = ""
    if notice:
        body += f'<div class="verdict bad"><strong>{escape(notice)}</strong></div>'
    if answer is not None:
        css, headline, english = HEADLINES[answer["status"]]
        body += (
            f'<div class="verdict {css}"><strong>{escape(headline)}</strong>{escape(english)}</div>'
        )
        if answer.get("receipt"):
            body += f"<table>{_rows(answer['receipt'], answer)}</table>"
    body += _form()
    body += "<p><small>财政电子票据查验 · 二维码签名可用公开密钥离线验证</small></p>"
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>财政电子票据查验</title><style>{STYLE}</style></head>"
        f"<body><main><h1>财政电子票据查验</h1>{body}</main></body></html>"
    )
