"""电子监察: working-day deadlines, warning / yellow / red cards, the dashboard and digest."""
