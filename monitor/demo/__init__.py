"""The offline demo: a fictional local news site and a webhook sink, used by `monitor demo` and the tests."""

from monitor.demo.sink import ReceivedWebhook, WebhookSink, make_secret
from monitor.demo.site import DemoArticle, NewsSite, RequestRecord, load_articles

__all__ = ["DemoArticle", "NewsSite", "ReceivedWebhook", "RequestRecord", "WebhookSink", "load_articles", "make_secret"]
