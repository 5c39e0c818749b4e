"""awscli plugin that loads s3timing into the CLI process (configured under [plugins] in AWS_CONFIG_FILE)."""
import s3timing


def awscli_initialize(event_hooks):
    s3timing.install(event_hooks, "awscli")
