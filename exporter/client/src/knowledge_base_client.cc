#include "qx/client/knowledge_base_client.h"

#include <algorithm>
#include <string>

#include "qx/client/parsers.h"

namespace qx {

std::uint64_t FetchKnowledgeBase(
    QualysClient& client, std::span<const std::uint64_t> qids,
    std::size_t batch_size,
    const std::function<void(KnowledgeBaseEntry&&)>& on_entry) {
  batch_size = std::max<std::size_t>(batch_size, 1);
  std::uint64_t calls = 0;
  for (std::size_t i = 0; i < qids.size(); i += batch_size) {
    auto batch = qids.subspan(i, std::min(batch_size, qids.size() - i));
    HttpRequest http;
    http.method = "POST";
    http.path = kKnowledgeBasePath;
    http.content_type = "application/x-www-form-urlencoded";
    // API v2 rejects requests without this header.
    http.headers.emplace_back("X-Requested-With", "qualys-exporter");
    http.body = "action=list&details=Basic&ids=";
    for (std::size_t j = 0; j < batch.size(); ++j) {
      if (j) http.body += "%2C";
      http.body += std::to_string(batch[j]);
    }
    client.Call("knowledge_base", http,
                [&](const HttpResponseHead&, std::istream& body) {
                  ParseKnowledgeBase(body, on_entry);
                });
    ++calls;
  }
  return calls;
}

}  // namespace qx
