import sys

from examples.webhook_ontvanger.app import main

sys.exit(main())
