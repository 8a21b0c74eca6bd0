"""Two small browser-side pieces the page needs and Solara does not have: a chart image that scales to its column
and carries alt text, and a button that copies a link."""

from __future__ import annotations

import base64

import ipyvue
import traitlets


class ChartImage(ipyvue.VueTemplate):
    """A PNG as wide as its column (the page's width decides the size, so a projector shows it large) with alt text
    that says what it shows, for a screen reader or a student who cannot see the screen."""

    template = traitlets.Unicode("""
<template>
  <img :src="src" :alt="alt" :title="alt" class="alignment-chart"
       style="width: 100%; height: auto; display: block; image-rendering: auto" />
</template>
""").tag(sync=True)
    src = traitlets.Unicode("").tag(sync=True)
    alt = traitlets.Unicode("").tag(sync=True)

    @staticmethod
    def data_url(png: bytes) -> str:
        return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


class CopyLink(ipyvue.VueTemplate):
    """A button that copies ``url`` (the clipboard API where the page is a secure context, as on 127.0.0.1; a
    hidden text field and the copy command over plain http on the local network), then says so for two seconds."""

    template = traitlets.Unicode("""
<template>
  <button type="button" class="v-btn v-btn--outlined theme--light v-size--small alignment-copy-link"
          style="padding: 0 10px; height: 30px; border: 1px solid currentColor; border-radius: 4px; color: inherit"
          @click="copy" :data-url="url">{{ done ? copied : label }}</button>
</template>
<script>
module.exports = {
  data() { return { done: false }; },
  methods: {
    copy() {
      const url = this.url;
      const ok = () => { this.done = true; setTimeout(() => { this.done = false; }, 2000); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(url).then(ok, () => this.fallback(url, ok));
      } else {
        this.fallback(url, ok);
      }
    },
    fallback(url, ok) {
      const field = document.createElement("textarea");
      field.value = url;
      field.setAttribute("readonly", "");
      field.style.position = "absolute";
      field.style.left = "-9999px";
      document.body.appendChild(field);
      field.select();
      try { document.execCommand("copy"); ok(); } finally { document.body.removeChild(field); }
    },
  },
};
</script>
""").tag(sync=True)
    url = traitlets.Unicode("").tag(sync=True)
    label = traitlets.Unicode("Copy link").tag(sync=True)
    copied = traitlets.Unicode("Copied").tag(sync=True)


class Address(ipyvue.VueTemplate):
    """Keeps the browser's address bar at ``query`` (replacing the entry, so moving a slider leaves no trail of
    history to step back through); reading the address when the page opens is Solara's router's job."""

    template = traitlets.Unicode("""
<template>
  <span style="display: none"></span>
</template>
<script>
module.exports = {
  mounted() { this.show(this.query); },
  watch: { query(value) { this.show(value); } },
  methods: {
    show(value) {
      const wanted = window.location.pathname + (value ? "?" + value : "") + window.location.hash;
      if (wanted !== window.location.pathname + window.location.search + window.location.hash) {
        window.history.replaceState(window.history.state, "", wanted);
      }
    },
  },
};
</script>
""").tag(sync=True)
    query = traitlets.Unicode("").tag(sync=True)
