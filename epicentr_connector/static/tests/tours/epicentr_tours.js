/** @odoo-module **/
// Started by tests/test_tours.py, which prepares the sandbox and the users, and runs the crons
// between two tours. Epicentr's status names are in the user's language (const.STATUS_TITLES).

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const SANDBOX_TOKEN = "sandbox-token"; // tests/common.py
const STATUS_BADGE = ".o_form_statusbar .o_field_widget[name=epicentr_status_name] .badge";

function notification(title) {
    return `.o_notification:has(.o_notification_title:contains(${title}))`;
}

/** Sales → Orders → Epicentr Orders, then the row whose Epicentr status is `status`. */
function openEpicentrOrder(status) {
    return [
        ...stepUtils.goToAppSteps("sale.sale_menu_root", "Open Sales"),
        {
            trigger: ".o_menu_sections [data-menu-xmlid='sale.sale_order_menu']",
            run: "click",
        },
        {
            trigger: ".o-dropdown-item[data-menu-xmlid='epicentr_connector.sale_order_epicentr_menu']",
            run: "click",
        },
        {
            content: `open the order whose Epicentr status is ${status}`,
            trigger: `.o_list_view .o_data_row:has(td[name=epicentr_status_name]:contains(/^${status}$/)) td[name=epicentr_number]`,
            run: "click",
        },
        {
            content: "the order shows its Epicentr status next to Odoo's",
            trigger: `${STATUS_BADGE}:contains(/^${status}$/)`,
        },
    ];
}

registry.category("web_tour.tours").add("epicentr_manager_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("base.menu_administration", "Open Settings"),
        {
            trigger: ".settings_tab .tab[data-key='sale_management']",
            run: "click",
        },
        {
            content: "the Epicentr block of the Sales settings links to the sources",
            trigger: "#epicentr_sources button:contains(Epicentr Sources)",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_list_button_add",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: "edit Tour shop",
        },
        {
            trigger: ".o_field_widget[name=api_token] input",
            run: `edit ${SANDBOX_TOKEN}`,
        },
        {
            content: "the API address is the default one (the sandbox's, in this test)",
            trigger: ".o_field_widget[name=base_url] input:value(http://127.0.0.1:)",
        },
        ...stepUtils.saveForm(),
        {
            trigger: ".o_form_statusbar button[name=action_test_connection]",
            run: "click",
        },
        {
            content: "Epicentr says whose token it is",
            trigger: `${notification("Connected to Epicentr")}:contains(iryna.bondar@example.com)`,
        },
        {
            trigger: ".o_form_view .alert-success:contains(Connected as)",
        },
        {
            trigger: ".o_form_statusbar button.btn-primary[name=action_sync_now]",
            run: "click",
        },
        {
            trigger: notification("Sync started"),
        },
    ],
});

registry.category("web_tour.tours").add("epicentr_manager_orders_tour", {
    url: "/odoo",
    steps: () => openEpicentrOrder("Shipped"),
});

registry.category("web_tour.tours").add("epicentr_salesperson_tour", {
    url: "/odoo",
    steps: () => [
        ...openEpicentrOrder("New"),
        {
            trigger: ".o_form_statusbar .o_statusbar_buttons button[name=action_confirm]",
            run: "click",
        },
        {
            trigger: ".o_form_statusbar .o_arrow_button_current:contains(Sales Order)",
        },
        {
            content: "the confirmation waits in the outbox",
            trigger: ".o_form_view .alert-info:contains(Waiting to be sent to Epicentr)",
        },
    ],
});

registry.category("web_tour.tours").add("epicentr_salesperson_status_tour", {
    url: "/odoo",
    steps: () => [
        ...openEpicentrOrder("Confirmed"),
        {
            content: "sent: nothing waits in the outbox any more",
            trigger: ".o_form_view:not(:has(.alert-info:contains(Waiting to be sent to Epicentr)))",
        },
    ],
});

registry.category("web_tour.tours").add("epicentr_salesperson_talk_tour", {
    url: "/odoo",
    steps: () => [
        ...openEpicentrOrder("Confirmed by the seller"),
        {
            trigger: ".o_form_statusbar button[name=action_epicentr_call_result]",
            run: "click",
        },
        {
            content: "the buyer did not answer",
            trigger: ".modal .o_field_widget[name=call_status] input[data-value=first_fail]",
            run: "click",
        },
        {
            trigger: ".modal .modal-footer button[name=action_send]",
            run: "click",
        },
        {
            trigger: ".o_form_view .alert-info:contains(Waiting to be sent to Epicentr)",
        },
        {
            trigger: ".o_form_statusbar button[name=action_epicentr_comment]",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=comment] textarea",
            run: "edit Передзвоню після 18:00",
        },
        {
            trigger: ".modal .modal-footer button[name=action_send]",
            run: "click",
        },
        {
            content: "the dialog closed, the order waits for the send",
            trigger: "body:not(:has(.modal)) .o_form_view .alert-info:contains(Waiting to be sent to Epicentr)",
        },
    ],
});

registry.category("web_tour.tours").add("epicentr_salesperson_talk_sent_tour", {
    url: "/odoo",
    steps: () => [
        ...openEpicentrOrder("Confirmed by the seller"),
        {
            trigger: ".o_notebook .nav-link:contains(Epicentr)",
            run: "click",
        },
        {
            content: "Epicentr has the call's result",
            trigger: ".o_field_widget[name=epicentr_call_status]:contains(No answer (1st call))",
        },
        {
            content: "the chatter says the comment went to Epicentr",
            trigger: ".o-mail-Message:contains(Comment sent to Epicentr: Передзвоню після 18:00)",
        },
    ],
});

registry.category("web_tour.tours").add("epicentr_waybill_tour", {
    url: "/odoo",
    steps: () => [
        ...openEpicentrOrder("New"),
        {
            trigger: ".o_form_statusbar .o_statusbar_buttons button[name=action_confirm]",
            run: "click",
        },
        {
            trigger: ".o_form_view button[name=action_view_delivery]",
            run: "click",
        },
        {
            trigger: ".o_form_statusbar button[name=button_validate]",
            run: "click",
        },
        {
            content: "validated; the waybill waits for Epicentr",
            trigger: ".o_form_view .alert-info:contains(Waybill requested: waiting for Epicentr)",
        },
    ],
});

registry.category("web_tour.tours").add("epicentr_waybill_done_tour", {
    url: "/odoo",
    steps: () => [
        ...openEpicentrOrder("Shipped"),
        {
            trigger: ".o_form_view button[name=action_view_delivery]",
            run: "click",
        },
        {
            content: "the chatter says Epicentr made the waybill",
            trigger: ".o-mail-Message:contains(made by Epicentr)",
        },
        {
            content: "the label to print is attached",
            trigger: ".o-mail-AttachmentCard:contains(LabelShipping-epicentr-), .o-mail-AttachmentList [title*=LabelShipping-epicentr-]",
        },
    ],
});

registry.category("web_tour.tours").add("epicentr_return_tour", {
    url: "/odoo",
    steps: () => [
        ...openEpicentrOrder("Cancelled"),
        {
            content: "the order says its goods come back",
            trigger: ".o_notebook .nav-link:contains(Epicentr)",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=epicentr_return_state]:contains(Return on its way)",
        },
        {
            content: "its transfers: the delivery and its return",
            trigger: ".o_form_view button[name=action_view_delivery]",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row:has(td:contains(Ready)) td[name=name]",
            run: "click",
        },
        {
            trigger: ".o_form_statusbar button[name=button_validate]",
            run: "click",
        },
        {
            content: "the parcel is back in stock",
            trigger: ".o_form_statusbar .o_arrow_button_current:contains(Done)",
        },
    ],
});
