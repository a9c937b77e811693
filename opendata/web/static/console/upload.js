/* The console's upload page: tus-js-client sends the file in chunks to the API's tus endpoint
   (the signed-in session and its CSRF token in X-CSRFToken), retries and resumes after a dropped
   connection (also after a reload: the upload's URL is remembered in localStorage by the file's
   fingerprint), then follows the ingest job (GET /api/v1/jobs/{id}) until it has a result.
   Served from the app itself: the Content-Security-Policy allows scripts from 'self' only. */
(function () {
  "use strict";
  var root = document.getElementById("uploader");
  if (!root || !window.tus || !window.tus.isSupported) { return; }
  var messages = JSON.parse(root.getAttribute("data-messages"));
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var form = root.querySelector("form");
  var input = document.getElementById("file");
  var zone = document.getElementById("dropzone");
  var chosenText = document.getElementById("chosen");
  var startButton = document.getElementById("start");
  var pauseButton = document.getElementById("pause");
  var resumeButton = document.getElementById("resume");
  var progress = document.getElementById("progress");
  var uploadBar = document.getElementById("upload-bar");
  var checkBar = document.getElementById("check-bar");
  var status = document.getElementById("status");
  var result = document.getElementById("result");
  var chosen = null;
  var upload = null;
  var jobUrl = null;
  var attempt = 0;

  function say(key, values) {
    var text = messages[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("%(" + name + ")s").join(String(values[name]));
    });
    return text.split("%%").join("%");
  }
  function size(bytes) {
    var units = ["B", "KB", "MB", "GB"], n = bytes, i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
    return (i === 0 ? n : n.toFixed(1)) + " " + units[i];
  }
  function percent(part, whole) { return whole ? Math.floor((part / whole) * 100) : 0; }
  function show(element, visible) { element.hidden = !visible; }

  function choose(file) {
    chosen = file || null;
    chosenText.textContent = chosen ? say("chosen", { name: chosen.name, size: size(chosen.size) }) : "";
  }
  input.addEventListener("change", function () { choose(input.files[0]); });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) { choose(event.dataTransfer.files[0]); }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!chosen) { status.textContent = say("choose"); show(progress, true); input.focus(); return; }
    if (chosen.size > Number(root.getAttribute("data-max"))) {
      status.textContent = say("too_large", { limit: size(Number(root.getAttribute("data-max"))) });
      show(progress, true);
      return;
    }
    start(chosen);
  });
  pauseButton.addEventListener("click", function () {
    if (!upload) { return; }
    upload.abort().then(function () {
      status.textContent = say("paused", { percent: uploadBar.value });
      show(pauseButton, false); show(resumeButton, true); resumeButton.focus();
    });
  });
  resumeButton.addEventListener("click", function () {
    if (!upload) { return; }
    show(resumeButton, false); show(pauseButton, true);
    upload.start();
  });

  function start(file) {
    var metadata = { filename: file.name };
    var sheet = document.getElementById("sheet").value.trim();
    if (sheet) { metadata.sheet = sheet; }
    jobUrl = null; attempt = 0;
    show(progress, true); show(result, false);
    startButton.disabled = true; input.disabled = true;
    uploadBar.value = 0; checkBar.value = 0;
    upload = new window.tus.Upload(file, {
      endpoint: root.getAttribute("data-endpoint"),
      chunkSize: Number(root.getAttribute("data-chunk")),
      retryDelays: [0, 1000, 3000, 5000, 10000, 20000, 30000, 60000],
      metadata: metadata,
      headers: { "X-CSRFToken": csrf },
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onProgress: function (sent, total) {
        uploadBar.value = percent(sent, total);
        status.textContent = say("uploading", { percent: percent(sent, total), sent: size(sent), total: size(total) });
      },
      onShouldRetry: function (error, retryAttempt) {
        attempt = retryAttempt + 1;
        status.textContent = say("resuming", { n: attempt });
        var response = error.originalResponse;
        var code = response ? response.getStatus() : 0;
        return !response || code === 409 || code === 423 || code >= 500;  // never retry a refusal (4xx)
      },
      onAfterResponse: function (request, response) {
        var job = response.getHeader("Location-Job");
        if (job) { jobUrl = job; }
      },
      onError: function (error) {
        status.textContent = say("failed", { error: describe(error) });
        show(pauseButton, false); show(resumeButton, true);
      },
      onSuccess: function () {
        uploadBar.value = 100;
        show(pauseButton, false); show(resumeButton, false);
        status.textContent = say("uploaded");
        follow();
      }
    });
    upload.findPreviousUploads().then(function (previous) {
      if (previous.length) {
        upload.resumeFromPreviousUpload(previous[0]);
        status.textContent = say("resumed");
      }
      show(pauseButton, true);
      upload.start();
    });
  }

  function describe(error) {
    var response = error && error.originalResponse;
    if (response) {
      try {
        var body = JSON.parse(response.getBody());
        if (body && body.message) { return body.message; }
      } catch (ignored) { /* not JSON: fall back to the status */ }
      return "HTTP " + response.getStatus();
    }
    return (error && error.message) || String(error);
  }

  function follow() {
    if (!jobUrl) { return; }
    fetch(jobUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (job) {
        var p = job.progress || {};
        checkBar.value = percent(p.bytes || 0, p.total_bytes || 0);
        if (job.state === "queued") { status.textContent = say("queued"); }
        if (job.state === "running") {
          status.textContent = say("running", { rows: (p.rows || 0).toLocaleString(), percent: checkBar.value });
        }
        if (job.state === "succeeded") { return finished(job); }
        if (job.state === "failed") {
          status.textContent = say("job_failed", { error: (job.error && job.error.message) || job.state });
          startButton.disabled = false; input.disabled = false;
          return null;
        }
        window.setTimeout(follow, 1000);
        return null;
      })
      .catch(function () { window.setTimeout(follow, 3000); });
  }

  function finished(job) {
    var v = job.version;
    checkBar.value = 100;
    var lines = [say("succeeded", { number: v.number, rows: (v.row_count || 0).toLocaleString() })];
    lines.push(v.report && v.report.valid ? say("valid") : say("invalid", { errors: (v.report && v.report.errors) || 0 }));
    if (v.pii_unresolved) { lines.push(say("pii", { n: v.pii_unresolved })); }
    status.textContent = lines.join(" ");
    var link = document.createElement("a");
    link.href = root.getAttribute("data-report") + v.number;
    link.textContent = say("report", { number: v.number });
    result.textContent = "";
    result.appendChild(link);
    show(result, true);
    startButton.disabled = false; input.disabled = false;
    link.focus();
    return null;
  }
}());
