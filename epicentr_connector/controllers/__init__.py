from . import catalogue_feed
