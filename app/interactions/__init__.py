"""统一互动 (12345): consultations, complaints and reports, and the Open311 view of them."""
