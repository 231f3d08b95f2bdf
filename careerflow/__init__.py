"""careerflow: event-sourced promotion, performance and development workflows."""
