"""Driving the resident form in a browser test, whatever its layout: one part per screen
(Back and Next, the checklist's default) or all on one page."""


def reveal(page, code: str) -> None:
    """Page forward (Next) until the part holding question `code` is on screen."""
    question = page.locator(f"#question-{code}")
    for _ in range(20):
        part = question.locator("xpath=ancestor::section[contains(@class, 'part')]")
        if part.is_visible():
            return
        page.locator("section.part:visible .part-nav .next").click()


def send(page) -> None:
    """Page forward to the last part and press Send."""
    button = page.locator(".survey-form button[type=submit]")
    for _ in range(20):
        if button.is_visible():
            break
        page.locator("section.part:visible .part-nav .next").click()
    button.click()
