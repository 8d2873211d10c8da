"""The lifelong-learning-portal course categories (終身學習入口網站課程類別) the
directory starts with; the `course_categories` table holds them as data.

PROVISIONAL: the portal's published list was not at hand when this was written,
so this is a set of the subject areas civil-service training commonly files
courses under, with codes of our own (`P..`). Replace it, by a migration that
rewrites the rows, when the academy supplies the portal's list."""

from __future__ import annotations

PORTAL_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("P01", "政策能力"),
    ("P02", "法制知能"),
    ("P03", "管理知能"),
    ("P04", "資訊科技與數位治理"),
    ("P05", "人工智慧"),
    ("P06", "資通安全"),
    ("P07", "廉政與公務倫理"),
    ("P08", "人權與性別平等"),
    ("P09", "環境教育"),
    ("P10", "人文素養"),
    ("P11", "語言學習"),
    ("P12", "健康與安全衛生"),
    ("P13", "自我成長"),
    ("P14", "其他"),
)
