// The board's document batches: refresh each unfinished batch's bar every two seconds; the
// server's figures are the truth.
(function () {
  "use strict";
  const rows = Array.from(document.querySelectorAll("tr[data-job-progress]")).filter((row) =>
    ["queued", "running"].includes(row.dataset.jobState),
  );
  rows.forEach(function poll(row) {
    fetch(row.dataset.jobProgress, { credentials: "same-origin" })
      .then((response) => response.json())
      .then((job) => {
        const bar = row.querySelector("progress");
        bar.max = job.total || 1;
        bar.value = job.total ? job.done : 1;
        bar.textContent = job.percent + "%";
        row.querySelector("[data-job-text]").textContent =
          job.done + " of " + job.total + " · " + job.state_label;
        row.dataset.jobState = job.state;
        if (job.state === "queued" || job.state === "running") {
          setTimeout(() => poll(row), 2000);
        } else {
          window.location.reload();
        }
      });
  });
})();
