// Progress bars of background jobs (report jobs, paper import jobs; the markup is
// templates/snippets/job_progress.html): poll each job's status JSON until it is finished,
// then reload so the page shows the files, the outcome or the error. Without JavaScript the
// job page refreshes itself (<noscript> meta refresh) and the list offers a reload link.
(function () {
  "use strict";
  var POLL_MS = 1500;

  function watch(box) {
    var url = box.getAttribute("data-job-status-url");
    var bar = box.querySelector("progress");
    var percent = box.querySelector(".job-percent");
    var status = box.querySelector(".job-status");

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error(response.status); }
          return response.json();
        })
        .then(function (job) {
          bar.value = job.progress;
          bar.textContent = job.progress + "%";
          percent.textContent = job.progress;
          status.textContent = job.status_display;
          status.className = "job-status status-" + job.status;
          if (job.finished) {
            window.location.reload();
          } else {
            window.setTimeout(poll, POLL_MS);
          }
        })
        .catch(function () { window.setTimeout(poll, POLL_MS * 4); });
    }
    window.setTimeout(poll, POLL_MS);
  }

  document.querySelectorAll(".job-progress[data-finished='0']").forEach(watch);
})();
