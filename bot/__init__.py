"""The Slack surface: slash commands, interactive actions and Block Kit builders."""
