"""Fake government sites found and taken down the same day (부처합동 사이버안전센터, issue 14)."""
