"""What each online level (星级) of a service item means, 1-5; docs/catalog.md repeats it.

Reference data of the catalog, not a setting: level 5 is fully online (零登门).
"""

from __future__ import annotations

ONLINE_LEVELS: dict[int, str] = {
    1: "信息公开: the guide is published online; everything is done at the counter",
    2: "在线预约/下载: forms can be downloaded or a visit booked online",
    3: "在线预审: materials are submitted and pre-checked online; one visit to finish",
    4: "在线办理: applied for and decided online; one visit to collect the result",
    5: "全程网办: fully online from application to result, no visit (零登门)",
}
