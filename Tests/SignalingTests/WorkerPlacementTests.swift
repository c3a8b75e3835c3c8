import XCTest
@testable import Signaling

/// Where PeerConnections go when a conference spreads over workers (issue 6).
final class WorkerPlacementTests: XCTestCase {
    typealias VP = WorkerPlacement.ViewerPlacement

    func testViewersStayWithThePublisherUntilTheThresholdThenSpillWithOnePipePerWorker() {
        var p = WorkerPlacement(workers: 3, spillThreshold: 3)
        XCTAssertEqual(p.placePublisher(conference: "c", stream: "cam"), 0)
        XCTAssertEqual(p.placeViewer(conference: "c", stream: "cam", viewer: "v1"), VP(worker: 0, source: 0, newPipe: false))
        XCTAssertEqual(p.placeViewer(conference: "c", stream: "cam", viewer: "v2"), VP(worker: 0, source: 0, newPipe: false))
        XCTAssertEqual(p.load, [3, 0, 0])
        // Worker 0 is full: the least-loaded workers take the next viewers, one pipe each.
        XCTAssertEqual(p.placeViewer(conference: "c", stream: "cam", viewer: "v3"), VP(worker: 1, source: 0, newPipe: true))
        XCTAssertEqual(p.placeViewer(conference: "c", stream: "cam", viewer: "v4"), VP(worker: 2, source: 0, newPipe: true))
        XCTAssertEqual(p.placeViewer(conference: "c", stream: "cam", viewer: "v5"), VP(worker: 1, source: 0, newPipe: false))
        // The same viewer again (ICE restart) stays where it is.
        XCTAssertEqual(p.placeViewer(conference: "c", stream: "cam", viewer: "v3"), VP(worker: 1, source: 0, newPipe: false))
        XCTAssertEqual(p.load, [3, 2, 1])
        XCTAssertEqual(p.workers(of: "c"), [0, 1, 2])
        // A viewer leaving frees room where it was.
        XCTAssertEqual(p.removeViewer(conference: "c", stream: "cam", viewer: "v1"), 0)
        XCTAssertEqual(p.placeViewer(conference: "c", stream: "cam", viewer: "v6"), VP(worker: 0, source: 0, newPipe: false))
        // Unpublishing removes the viewers everywhere and names the piped workers.
        let removed = p.removePublisher(conference: "c", stream: "cam")
        XCTAssertEqual(removed?.worker, 0)
        XCTAssertEqual(removed?.pipedTo, [1, 2])
        XCTAssertEqual(p.load, [0, 0, 0])
        XCTAssertNil(p.placeViewer(conference: "c", stream: "cam", viewer: "v7"), "not published any more")
    }

    func testZeroThresholdSendsEveryViewerToTheLeastLoadedWorker() {
        var p = WorkerPlacement(workers: 2, spillThreshold: 0)
        XCTAssertEqual(p.placePublisher(conference: "c", stream: "a"), 0)
        XCTAssertEqual(p.placeViewer(conference: "c", stream: "a", viewer: "v1"), VP(worker: 1, source: 0, newPipe: true))
        // Tie (1, 1): the publisher's worker is preferred, no pipe needed.
        XCTAssertEqual(p.placeViewer(conference: "c", stream: "a", viewer: "v2"), VP(worker: 0, source: 0, newPipe: false))
    }

    func testConferencesGetHomesOnTheLeastLoadedWorkerAndPublishersStayHome() {
        var p = WorkerPlacement(workers: 2, spillThreshold: 500)
        XCTAssertEqual(p.placePublisher(conference: "c1", stream: "a"), 0)
        XCTAssertEqual(p.placePublisher(conference: "c2", stream: "a"), 1)
        XCTAssertEqual(p.placePublisher(conference: "c1", stream: "b"), 0, "a conference's publishers share its home")
        XCTAssertEqual(p.placePublisher(conference: "c1", stream: "a"), 0, "republishing (ICE restart) does not count twice")
        XCTAssertEqual(p.load, [2, 1])
        _ = p.placeViewer(conference: "c1", stream: "a", viewer: "v")
        XCTAssertEqual(p.removeConference("c1"), [0])
        XCTAssertEqual(p.load, [0, 1])
        XCTAssertNil(p.publisherWorker(conference: "c1", stream: "b"))
        XCTAssertNil(p.placeViewer(conference: "nope", stream: "a", viewer: "v"))
    }
}
