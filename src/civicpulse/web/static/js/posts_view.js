/* How a post is shown everywhere: its text, platform, time and a link to the original. Never its author. */
(function () {
  "use strict";
  var CP = window.CP;

  function link(url) {
    if (!url || !/^https?:\/\//i.test(url)) return null;  // only web links; nothing else becomes clickable
    return CP.el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, CP.t("open_original"));
  }

  function chip(text, kind) { return CP.el("li", { "class": "chip " + (kind || "") }, text); }

  /* A compact card: representative posts of a topic or a spike. */
  function card(post) {
    var meta = [CP.el("span", {}, post.platform), CP.el("time", { datetime: post.created_at }, CP.fmt.when(post.created_at))];
    if (post.sentiment) meta.push(CP.el("span", { "class": "chip " + post.sentiment }, CP.label("sentiment", post.sentiment)));
    var a = link(post.url);
    if (a) meta.push(a);
    return CP.el("article", { "class": "post" }, [
      CP.el("p", { "class": "post-text" }, post.text || ""),
      CP.el("div", { "class": "post-meta" }, meta)
    ]);
  }

  function list(posts) {
    if (!posts || !posts.length) return CP.el("p", { "class": "suppressed" }, CP.t("no_posts"));
    return CP.el("div", {}, posts.map(card));
  }

  window.CPPosts = { card: card, list: list, link: link, chip: chip };
})();
