"""E-receipts (财政电子票据): one per paid order, numbered without gaps, signed for offline
verification, rendered once (QR PNG/SVG and the PDF receipt face), voided by red letter."""
